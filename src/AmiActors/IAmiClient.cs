using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Protocol;

namespace AmiActors;

/// <summary>
/// The facade over the manager actor for code that is not an actor (or prefers tasks).
/// Every method is safe to call from any thread.
/// </summary>
public interface IAmiClient
{
    /// <summary>The manager actor (named <c>ami</c>); speak <see cref="AmiManager"/> messages to it directly if you prefer.</summary>
    IActorRef Manager { get; }

    /// <summary>
    /// Sends an action and returns its reply. Throws <see cref="AmiErrorResponseException"/> (carrying the response) when the
    /// server answers <c>Response: Error</c> or an async Originate fails, and the specific <see cref="AmiException"/> for
    /// unknown server, timeout, connection lost, backpressure; <see cref="Protocol.AmiActionValidationException"/> when the
    /// action cannot be written safely; <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    Task<AmiActionResult> SendAsync(string serverId, IAmiAction action, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="SendAsync"/> but returns the reply whatever its response status (no exception on <c>Response: Error</c>).</summary>
    Task<AmiActionResult> SendRawAsync(string serverId, IAmiAction action, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Subscribes an actor to events by name (none: all events) from one server (null: all servers).</summary>
    Task SubscribeAsync(IActorRef subscriber, string? serverId = null, params string[] eventNames);

    /// <summary>Removes subscriptions made with <see cref="SubscribeAsync"/> (same server scope; no names: all of them).</summary>
    Task UnsubscribeAsync(IActorRef subscriber, string? serverId = null, params string[] eventNames);

    /// <summary>
    /// A source of events from one server (null: all) filtered by name (null or empty: all), with a bounded buffer of
    /// <paramref name="bufferSize"/> and the given overflow policy (default: drop the oldest, counted in the server's drop counter).
    /// Each materialization is an independent subscription that ends when the stream is cancelled.
    /// </summary>
    Source<AmiEventReceived, NotUsed> Events(string? serverId = null, IReadOnlyList<string>? eventNames = null, int bufferSize = 1024, OverflowStrategy overflowStrategy = OverflowStrategy.DropHead);

    /// <summary>
    /// The same source as <see cref="Events"/>, materialized to a task that completes once the subscription is in place: every
    /// event a server sends after that is offered to the stream. Await it before <see cref="AddServerAsync"/> to see a server's
    /// first event (a flood that starts with the login included). The task fails if the stream stops before.
    /// </summary>
    Source<AmiEventReceived, Task> SubscribedEvents(string? serverId = null, IReadOnlyList<string>? eventNames = null, int bufferSize = 1024, OverflowStrategy overflowStrategy = OverflowStrategy.DropHead);

    /// <summary>Adds a server at run time and connects to it.</summary>
    Task AddServerAsync(AmiServerDefinition server, CancellationToken cancellationToken = default);

    /// <summary>Logs off from and removes a server.</summary>
    Task RemoveServerAsync(string serverId, CancellationToken cancellationToken = default);

    /// <summary>Every server's id and connection state.</summary>
    Task<IReadOnlyList<AmiServerStatus>> GetServersAsync(CancellationToken cancellationToken = default);
}
