using AmiActors.Protocol;
using AmiActors.TestKit.Internal;

namespace AmiActors.TestKit;

/// <summary>
/// A scripted action handler: returns the reply to write (built with the context's helpers), or null when it wrote
/// everything itself (or wants the action left unanswered).
/// </summary>
/// <param name="context">The action, its session and helpers to answer it.</param>
public delegate ValueTask<AmiMessage?> FakeActionHandler(FakeActionContext context);

/// <summary>
/// What a scripted handler (<see cref="FakeAsteriskServer.OnAction(string, FakeActionHandler, FakeAmiPermissions)"/>) gets:
/// the action, the session, and helpers that build replies the way Asterisk lays them out (Response, ActionID, Message, ...).
/// </summary>
/// <remarks>
/// The session handles one action at a time, like Asterisk: while a handler runs, the session reads no further action,
/// so an awaiting handler is how to simulate a slow action. Events from other sources keep flowing meanwhile.
/// </remarks>
public sealed class FakeActionContext
{
    internal FakeActionContext(FakeAsteriskServer server, FakeAmiSession session, AmiMessage action, string actionName, CancellationToken cancellationToken)
    {
        Server = server;
        Session = session;
        Action = action;
        ActionName = actionName;
        ActionId = Header("ActionID") is { Length: > 0 } id ? id : null;
        CancellationToken = cancellationToken;
    }

    /// <summary>The server.</summary>
    public FakeAsteriskServer Server { get; }

    /// <summary>The session that sent the action.</summary>
    public FakeAmiSession Session { get; }

    /// <summary>The action as received.</summary>
    public AmiMessage Action { get; }

    /// <summary>The action's name as sent.</summary>
    public string ActionName { get; }

    /// <summary>The action's ActionID; null when absent or empty (replies then carry none, like Asterisk's).</summary>
    public string? ActionId { get; }

    /// <summary>Cancelled when the session closes or the server stops.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>True once <see cref="CloseAfterReply"/> was called.</summary>
    public bool CloseRequested { get; private set; }

    /// <summary>The value of the first header named <paramref name="name"/> with leading blanks skipped, as Asterisk reads it; null when absent.</summary>
    public string? Header(string name)
    {
        int i = Action.IndexOf(name);
        return i < 0 ? null : Action.ValueAt(i).TrimStart(' ', '\t');
    }

    /// <summary>Builds <c>Response: Success</c> with this action's ActionID, an optional Message, then <paramref name="headers"/>.</summary>
    public AmiMessage Success(string? message = null, params (string Name, string Value)[] headers) => Response("Success", message, headers);

    /// <summary>Builds <c>Response: Error</c> with this action's ActionID and <c>Message: </c><paramref name="message"/>.</summary>
    public AmiMessage Error(string message) => Response("Error", message);

    /// <summary>Builds a response: <c>Response: </c><paramref name="status"/>, the ActionID, an optional Message, then <paramref name="headers"/>.</summary>
    public AmiMessage Response(string status, string? message = null, params (string Name, string Value)[] headers)
    {
        var list = new List<AmiHeader>(headers.Length + 3) { new("Response", status) };
        if (ActionId is not null)
        {
            list.Add(new AmiHeader("ActionID", ActionId));
        }
        if (message is not null)
        {
            list.Add(new AmiHeader("Message", message));
        }
        list.AddRange(headers.Select(h => new AmiHeader(h.Name, h.Value)));
        return AmiMessage.Create(list);
    }

    /// <summary>Builds an event caused by this action: <c>Event: </c><paramref name="eventName"/>, the ActionID, then <paramref name="headers"/>.</summary>
    public AmiMessage Event(string eventName, params (string Name, string Value)[] headers)
    {
        var list = new List<AmiHeader>(headers.Length + 2) { new("Event", eventName) };
        if (ActionId is not null)
        {
            list.Add(new AmiHeader("ActionID", ActionId));
        }
        list.AddRange(headers.Select(h => new AmiHeader(h.Name, h.Value)));
        return AmiMessage.Create(list);
    }

    /// <summary>Writes a frame to this session now (before the handler's reply), whatever its event mask.</summary>
    public ValueTask SendAsync(AmiMessage frame) => Session.SendAsync(frame, CancellationToken);

    /// <summary>Writes raw bytes to this session now.</summary>
    public ValueTask SendRawAsync(ReadOnlyMemory<byte> bytes) => Session.SendRawAsync(bytes, CancellationToken);

    /// <summary>
    /// Answers as a list action does: <c>Response: Success</c> + <c>EventList: start</c> + <paramref name="message"/>, one event
    /// per item (its first header must be <c>Event</c>; the ActionID is inserted after it), then
    /// <paramref name="completeEvent"/> with <c>EventList: Complete</c> and <c>ListItems</c>. Return null from the handler afterwards.
    /// </summary>
    public async ValueTask SendListAsync(string message, string completeEvent, IEnumerable<IReadOnlyList<(string Name, string Value)>> items)
    {
        await SendRawAsync(new FrameBuilder().Add("Response", "Success").AddIfNotEmpty("ActionID", ActionId).Add("EventList", "start").Add("Message", message).End()).ConfigureAwait(false);
        int count = 0;
        foreach (var item in items)
        {
            var frame = new FrameBuilder();
            for (int i = 0; i < item.Count; i++)
            {
                frame.Add(item[i].Name, item[i].Value);
                if (i == 0)
                {
                    frame.AddIfNotEmpty("ActionID", ActionId);
                }
            }
            await SendRawAsync(frame.End()).ConfigureAwait(false);
            count++;
        }
        await SendRawAsync(new FrameBuilder().Add("Event", completeEvent).AddIfNotEmpty("ActionID", ActionId)
            .Add("EventList", "Complete").Add("ListItems", count.ToString(System.Globalization.CultureInfo.InvariantCulture)).End()).ConfigureAwait(false);
    }

    /// <summary>Runs the server's built-in behaviour for this action (it writes its own frames), so a handler can observe and delegate.</summary>
    /// <returns>Null (the built-in has answered), to return from the handler.</returns>
    public async ValueTask<AmiMessage?> RunBuiltInAsync()
    {
        if (!await BuiltInActions.TryRunAsync(this).ConfigureAwait(false))
        {
            await SendRawAsync(FrameBuilder.Response("Error", ActionId, BuiltInActions.UnknownActionMessage(ActionName))).ConfigureAwait(false);
        }
        return null;
    }

    /// <summary>Closes the session (gracefully) once the reply has been written, as Logoff does.</summary>
    public void CloseAfterReply() => CloseRequested = true;

    /// <summary>Prints the action name and ActionID only.</summary>
    public override string ToString() => $"FakeActionContext({ActionName}, ActionID {ActionId ?? "-"}, session {Session.Id})";
}
