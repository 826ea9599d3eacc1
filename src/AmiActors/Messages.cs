using Akka.Actor;
using AmiActors.Protocol;

namespace AmiActors;

/// <summary>The state of one server's connection.</summary>
public enum AmiConnectionState
{
    /// <summary>Opening the TCP (or TLS) connection.</summary>
    Connecting = 0,
    /// <summary>Connected; waiting for the <c>Asterisk Call Manager/x.y.z</c> banner.</summary>
    AwaitingBanner = 1,
    /// <summary>Banner received; logging in.</summary>
    Authenticating = 2,
    /// <summary>Logged in: actions are sent, events flow.</summary>
    Connected = 3,
    /// <summary>Disconnected; waiting out the backoff before the next attempt.</summary>
    Reconnecting = 4,
    /// <summary>The server rejected the credentials; retried no more than once per maximum backoff.</summary>
    AuthenticationFailed = 5,
    /// <summary>The connection was stopped (server removed or system shutting down).</summary>
    Stopped = 6,
}

/// <summary>Published to the EventStream (and to state subscribers) on every connection state transition.</summary>
/// <param name="ServerId">The server.</param>
/// <param name="Previous">The state left.</param>
/// <param name="Current">The state entered.</param>
/// <param name="Reason">Why, in words (never containing credentials), or null.</param>
public sealed record ConnectionStateChanged(string ServerId, AmiConnectionState Previous, AmiConnectionState Current, string? Reason = null);

/// <summary>
/// Published to the EventStream for every event received from a server, and delivered to topic subscribers.
/// Events whose name the Asterisk catalog documents arrive as a typed subclass (for example <c>HangupEvent</c>),
/// so both <c>Receive&lt;AmiEventReceived&gt;</c> and <c>Receive&lt;HangupEvent&gt;</c> work, and EventStream
/// subscriptions classify by type. Create instances with <see cref="Create"/>.
/// </summary>
/// <param name="ServerId">The server the event came from.</param>
/// <param name="Event">The event, with every header the server sent.</param>
public record AmiEventReceived(string ServerId, AmiMessage Event)
{
    /// <summary>The event name (<c>Event:</c> header).</summary>
    public string? EventName => Event.EventName;

    /// <summary>Wraps an event in its typed class when the catalog knows its name, otherwise in <see cref="AmiEventReceived"/> itself.</summary>
    public static AmiEventReceived Create(string serverId, AmiMessage message) => AmiEventTypes.Create(serverId, message);

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name}({ServerId}, {Event})";
}

/// <summary>
/// The reply to an action: the response; for a list action every item event and the Complete event;
/// for async Originate the <c>OriginateResponse</c> event.
/// </summary>
/// <param name="ServerId">The server that answered.</param>
/// <param name="ActionId">The ActionID the action was sent with.</param>
/// <param name="Response">The response frame, whatever its status.</param>
/// <param name="Events">List item events (in order) or the OriginateResponse event; empty otherwise.</param>
/// <param name="Complete">The list's Complete event, or null.</param>
public sealed record AmiActionResult(string ServerId, string ActionId, AmiMessage Response, IReadOnlyList<AmiMessage> Events, AmiMessage? Complete = null)
{
    /// <summary>True when the response status is <c>Success</c> (or <c>Follows</c>/<c>Goodbye</c>), and, for async Originate, the OriginateResponse says Success.</summary>
    public bool IsSuccess => !Response.IsError && (OriginateResponse is null || OriginateResponse.HasValue("Response", "Success"));

    /// <summary>The response <c>Message:</c>, or null.</summary>
    public string? Message => Response.ResponseMessage;

    /// <summary>Command output lines (both framings).</summary>
    public IReadOnlyList<string> CommandOutput => Response.CommandOutput;

    /// <summary>The OriginateResponse event of an async Originate as it arrived (every header), or null.</summary>
    public AmiMessage? OriginateResponse => Events.Count == 1 && Events[0].HasValue("Event", "OriginateResponse") ? Events[0] : null;

    /// <summary>
    /// The OriginateResponse event of an async Originate, typed (<c>Response</c>, <c>Reason</c>, <c>Channel</c>,
    /// <c>Uniqueid</c>, ...), or null when the action was not an async Originate.
    /// </summary>
    public global::AmiActors.Events.OriginateResponseEvent? OriginateResponseEvent =>
        OriginateResponse is { } m ? new global::AmiActors.Events.OriginateResponseEvent(ServerId, m) : null;

    /// <summary>Prints the outcome: for an async Originate the OriginateResponse (not the "queued" response), otherwise the response.</summary>
    public override string ToString()
    {
        if (OriginateResponseEvent is { } o)
        {
            return $"AmiActionResult({ServerId}, {ActionId}, OriginateResponse {o.ResponseRaw ?? "?"}, Reason {o.ReasonRaw ?? "?"} ({OriginateReasonText(o.Reason)}), Channel {o.Channel ?? "?"}, Uniqueid {o.Uniqueid ?? "?"})";
        }
        return $"AmiActionResult({ServerId}, {ActionId}, {Response}, {Events.Count} events{(Complete is null ? "" : ", complete")})";
    }

    /// <summary>
    /// What an OriginateResponse <c>Reason</c> means (Asterisk's control frame codes): 0 failed (no such channel or extension),
    /// 1 hung up, 3 no answer, 4 answered, 5 busy, 8 congestion.
    /// </summary>
    public static string OriginateReasonText(int? reason) => reason switch
    {
        0 => "failed",
        1 => "hung up",
        2 or 3 => "no answer",
        4 => "answered",
        5 => "busy",
        8 => "congestion",
        null => "unknown",
        _ => "other",
    };
}

/// <summary>A server's id and its current connection state.</summary>
/// <param name="ServerId">The server.</param>
/// <param name="State">Its connection state.</param>
/// <param name="AmiVersion">The AMI version from the last banner, or null.</param>
/// <param name="EventsDropped">Events dropped for this server because subscribers or streams were too slow.</param>
public sealed record AmiServerStatus(string ServerId, AmiConnectionState State, string? AmiVersion, long EventsDropped)
{
    /// <summary>On a cluster (AmiActors.Cluster), the address of the node that hosts the server's connection; null on a single node or while unknown.</summary>
    public string? Node { get; init; }
}

/// <summary>
/// The protocol of the manager actor (the supervisor named <c>ami</c>): send these to it, by <c>Tell</c> or <c>Ask</c>.
/// </summary>
public static class AmiManager
{
    /// <summary>The manager actor's name.</summary>
    public const string ActorName = "ami";

    /// <summary>Adds (and connects to) a server. Replied to with <see cref="ServerAdded"/>, or a failure when the id is taken.</summary>
    public sealed record AddServer(AmiServerDefinition Server);

    /// <summary>Reply to <see cref="AddServer"/>.</summary>
    public sealed record ServerAdded(string ServerId);

    /// <summary>Disconnects (Logoff) and removes a server. Replied to with <see cref="ServerRemoved"/>, or <see cref="UnknownServerException"/>.</summary>
    public sealed record RemoveServer(string ServerId);

    /// <summary>Reply to <see cref="RemoveServer"/>.</summary>
    public sealed record ServerRemoved(string ServerId);

    /// <summary>Asks for every server's status; answered by <see cref="GetServersResult"/>.</summary>
    public sealed record GetServers
    {
        /// <summary>The singleton.</summary>
        public static GetServers Instance { get; } = new();
    }

    /// <summary>Reply to <see cref="GetServers"/>.</summary>
    public sealed record GetServersResult(IReadOnlyList<AmiServerStatus> Servers);

    /// <summary>
    /// Sends an action to a server. The asker gets an <see cref="AmiActionResult"/> whatever the response status,
    /// or a <c>Status.Failure</c> with a specific <see cref="AmiException"/> (unknown server, timeout, connection lost,
    /// too many in flight, buffer full, refused by the writer).
    /// </summary>
    /// <param name="ServerId">The server.</param>
    /// <param name="Action">The action.</param>
    /// <param name="Timeout">How long to wait for the whole reply (response, list, OriginateResponse); null for the configured default.</param>
    public sealed record SendAction(string ServerId, AmiAction Action, TimeSpan? Timeout = null)
    {
        /// <summary>
        /// Sends any action, typed (<c>new PingAction()</c>, <c>new OriginateAction(...)</c>) or generic, as <c>IAmiClient.SendAsync</c> accepts it:
        /// the action is converted to its wire form (<see cref="IAmiAction.ToAmiAction"/>) here, once.
        /// </summary>
        /// <param name="serverId">The server.</param>
        /// <param name="action">The action.</param>
        /// <param name="timeout">How long to wait for the whole reply; null for the configured default.</param>
        public SendAction(string serverId, IAmiAction action, TimeSpan? timeout = null)
            : this(serverId, (action ?? throw new ArgumentNullException(nameof(action))).ToAmiAction(), timeout)
        {
        }

        /// <inheritdoc />
        public override string ToString() => $"SendAction({ServerId}, {Action})";
    }

    /// <summary>
    /// Subscribes an actor to events: <paramref name="EventNames"/> null or empty for all events, otherwise those names
    /// (case-insensitive); <paramref name="ServerId"/> null for all servers. The subscriber receives <see cref="AmiEventReceived"/>.
    /// Replied to with <see cref="Subscribed"/>. Terminated subscribers are removed automatically.
    /// </summary>
    public sealed record Subscribe(IActorRef Subscriber, string? ServerId = null, IReadOnlyList<string>? EventNames = null)
    {
        /// <summary>
        /// The typed subscription by message: <paramref name="subscriber"/> receives <typeparamref name="TEvent"/> instances
        /// (<c>Receive&lt;HangupEvent&gt;</c>) from one server (null: all). For <see cref="AmiEventReceived"/> itself, every event.
        /// Tell it to the manager; the reply is <see cref="Subscribed"/>.
        /// </summary>
        /// <exception cref="ArgumentException"><typeparamref name="TEvent"/> is not a generated event class.</exception>
        public static Subscribe To<TEvent>(IActorRef subscriber, string? serverId = null)
            where TEvent : AmiEventReceived => new(subscriber, serverId, AmiClientTypedExtensions.EventNamesOf<TEvent>());

        /// <summary>
        /// A subscription to several event types at once, e.g. <c>Subscribe.To(Self, "pbx1", typeof(NewchannelEvent), typeof(HangupEvent))</c>.
        /// </summary>
        /// <exception cref="ArgumentException">A type is not a generated event class, or none is given.</exception>
        public static Subscribe To(IActorRef subscriber, string? serverId, params Type[] eventTypes) =>
            new(subscriber, serverId, AmiClientTypedExtensions.EventNamesOf(eventTypes));

        /// <summary>Set by an event stream: it takes events in batches, bounded by this gauge.</summary>
        internal Actors.AmiStreamGauge? Gauge { get; init; }
    }

    /// <summary>Reply to <see cref="Subscribe"/>.</summary>
    public sealed record Subscribed(IActorRef Subscriber);

    /// <summary>Removes a subscription made with the same server id and names (null names: every subscription of that subscriber on that server scope). Replied to with <see cref="Unsubscribed"/>.</summary>
    public sealed record Unsubscribe(IActorRef Subscriber, string? ServerId = null, IReadOnlyList<string>? EventNames = null)
    {
        /// <summary>Removes a subscription made with <see cref="Subscribe.To{TEvent}"/> (same server scope).</summary>
        /// <exception cref="ArgumentException"><typeparamref name="TEvent"/> is not a generated event class.</exception>
        public static Unsubscribe From<TEvent>(IActorRef subscriber, string? serverId = null)
            where TEvent : AmiEventReceived => new(subscriber, serverId, AmiClientTypedExtensions.EventNamesOf<TEvent>());
    }

    /// <summary>Reply to <see cref="Unsubscribe"/>.</summary>
    public sealed record Unsubscribed(IActorRef Subscriber);

    /// <summary>Subscribes an actor to <see cref="ConnectionStateChanged"/> of one server (or all when null). Replied to with <see cref="Subscribed"/>.</summary>
    public sealed record SubscribeConnectionState(IActorRef Subscriber, string? ServerId = null);
}
