using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace AmiActors;

/// <summary>Typed helpers over <see cref="IAmiClient"/>: list actions with typed items, subscriptions by event type.</summary>
public static class AmiClientTypedExtensions
{
    /// <summary>
    /// Sends a list action and returns its items typed. Throws like <see cref="IAmiClient.SendAsync"/> (an
    /// <see cref="AmiErrorResponseException"/> when the server answers <c>Response: Error</c>).
    /// </summary>
    /// <typeparam name="TItem">The item event type.</typeparam>
    /// <param name="client">The client.</param>
    /// <param name="serverId">The server.</param>
    /// <param name="action">The list action, e.g. <c>new CoreShowChannelsAction()</c>.</param>
    /// <param name="timeout">How long to wait for the whole list; null for the configured default.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public static async Task<AmiListResult<TItem>> SendListAsync<TItem>(
        this IAmiClient client,
        string serverId,
        IAmiListAction<TItem> action,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
        where TItem : AmiEventReceived
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(action);
        var result = await client.SendAsync(serverId, action, timeout, cancellationToken).ConfigureAwait(false);
        return ToListResult<TItem>(result);
    }

    /// <summary>Wraps an action result's events as typed events; items are the events of type <typeparamref name="TItem"/>.</summary>
    public static AmiListResult<TItem> ToListResult<TItem>(AmiActionResult result)
        where TItem : AmiEventReceived
    {
        ArgumentNullException.ThrowIfNull(result);
        var events = new AmiEventReceived[result.Events.Count];
        var items = new List<TItem>(events.Length);
        for (int i = 0; i < events.Length; i++)
        {
            events[i] = AmiEventReceived.Create(result.ServerId, result.Events[i]);
            if (events[i] is TItem item)
            {
                items.Add(item);
            }
        }
        var complete = result.Complete is null ? null : AmiEventReceived.Create(result.ServerId, result.Complete);
        return new AmiListResult<TItem>(result.ServerId, result.ActionId, result.Response, items, events, complete);
    }

    /// <summary>
    /// Subscribes an actor to the events of type <typeparamref name="TEvent"/> (by the catalog's event name; all events for
    /// <see cref="AmiEventReceived"/> itself). The subscriber receives <typeparamref name="TEvent"/> instances.
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="TEvent"/> is not a generated event class.</exception>
    public static Task SubscribeAsync<TEvent>(this IAmiClient client, IActorRef subscriber, string? serverId = null)
        where TEvent : AmiEventReceived
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.SubscribeAsync(subscriber, serverId, EventNamesOf<TEvent>());
    }

    /// <summary>Removes a subscription made with <see cref="SubscribeAsync{TEvent}"/>.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="TEvent"/> is not a generated event class.</exception>
    public static Task UnsubscribeAsync<TEvent>(this IAmiClient client, IActorRef subscriber, string? serverId = null)
        where TEvent : AmiEventReceived
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.UnsubscribeAsync(subscriber, serverId, EventNamesOf<TEvent>());
    }

    /// <summary>
    /// A source of the events of type <typeparamref name="TEvent"/> (for example <c>Events&lt;HangupEvent&gt;("pbx1")</c>) from one
    /// server (null: all), typed, with the same bounded buffer, overflow policy and "subscription live" materialized
    /// <see cref="Task"/> as <see cref="IAmiClient.Events"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="TEvent"/> is not a generated event class.</exception>
    public static Source<TEvent, Task> Events<TEvent>(
        this IAmiClient client,
        string? serverId = null,
        int bufferSize = 0,
        OverflowStrategy overflowStrategy = OverflowStrategy.DropHead)
        where TEvent : AmiEventReceived
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.Events(serverId, EventNamesOf<TEvent>(), bufferSize, overflowStrategy)
            .Where(static e => e is TEvent)
            .Select(static e => (TEvent)e);
    }

    /// <summary>The event names of several typed event classes (all events when one of them is <see cref="AmiEventReceived"/>).</summary>
    internal static string[] EventNamesOf(IReadOnlyList<Type> eventTypes)
    {
        ArgumentNullException.ThrowIfNull(eventTypes);
        if (eventTypes.Count == 0)
        {
            throw new ArgumentException("Name at least one event type.", nameof(eventTypes));
        }
        var names = new List<string>(eventTypes.Count);
        foreach (var type in eventTypes)
        {
            ArgumentNullException.ThrowIfNull(type, nameof(eventTypes));
            if (type == typeof(AmiEventReceived))
            {
                return [];
            }
            names.Add(AmiEventCatalog.GetEventName(type)
                ?? throw new ArgumentException($"{type.Name} is not a typed AMI event; subscribe by name instead.", nameof(eventTypes)));
        }
        return names.ToArray();
    }

    /// <summary>The event names to subscribe to for <typeparamref name="TEvent"/>: none (all events) for <see cref="AmiEventReceived"/>.</summary>
    internal static string[] EventNamesOf<TEvent>()
        where TEvent : AmiEventReceived => EventNamesOf([typeof(TEvent)]);
}
