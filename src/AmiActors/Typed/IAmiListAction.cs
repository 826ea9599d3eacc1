using AmiActors.Protocol;

namespace AmiActors;

/// <summary>
/// An action answered by a list: <c>Response: Success</c> with <c>EventList: start</c>, item events carrying the
/// same ActionID, then a Complete event. Send it with <see cref="AmiClientTypedExtensions.SendListAsync{TItem}"/>
/// to get the items typed.
/// </summary>
/// <typeparam name="TItem">The typed item event, or <see cref="AmiEventReceived"/> when the items have several or undocumented types.</typeparam>
public interface IAmiListAction<TItem> : IAmiAction
    where TItem : AmiEventReceived
{
    /// <summary>The names of the item events (empty when the catalog does not document them).</summary>
    IReadOnlyList<string> ItemEventNames { get; }

    /// <summary>The name of the event that completes the list, or null when the catalog does not name it (any <c>EventList: Complete</c> event ends the list).</summary>
    string? CompleteEventName { get; }
}

/// <summary>The reply to a list action, with its items typed.</summary>
/// <typeparam name="TItem">The item type.</typeparam>
/// <param name="ServerId">The server that answered.</param>
/// <param name="ActionId">The ActionID the action was sent with.</param>
/// <param name="Response">The response frame.</param>
/// <param name="Items">The item events of type <typeparamref name="TItem"/>, in order.</param>
/// <param name="Events">Every event of the list, in order, typed where the catalog knows it (nothing the server sent is dropped).</param>
/// <param name="Complete">The Complete event (typed where the catalog knows it), or null.</param>
public sealed record AmiListResult<TItem>(
    string ServerId,
    string ActionId,
    AmiMessage Response,
    IReadOnlyList<TItem> Items,
    IReadOnlyList<AmiEventReceived> Events,
    AmiEventReceived? Complete)
    where TItem : AmiEventReceived
{
    /// <summary>The item count the Complete event reports (<c>ListItems</c>, or <c>Items</c> on old servers), or null.</summary>
    public int? ListItems => Complete?.Event.ListItems;

    /// <inheritdoc />
    public override string ToString() =>
        $"AmiListResult<{typeof(TItem).Name}>({ServerId}, {ActionId}, {Items.Count} items, {Events.Count} events{(Complete is null ? "" : ", complete")})";
}
