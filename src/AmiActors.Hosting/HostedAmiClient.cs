using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Protocol;

namespace AmiActors.Hosting;

/// <summary>
/// The <see cref="IAmiClient"/> that dependency injection hands out. It can be injected before the actor system has
/// started (hosted services are constructed before Akka.Hosting starts the system): calls made earlier wait for
/// <c>WithAmi</c> to start the manager. It also records the <see cref="AmiMetrics"/> action instruments.
/// </summary>
internal sealed class HostedAmiClient : IAmiClient
{
    private readonly TaskCompletionSource<IAmiClient> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AmiMetrics? _metrics;

    public HostedAmiClient(AmiMetrics? metrics) => _metrics = metrics;

    /// <summary>True once the manager has started.</summary>
    public bool IsStarted => _ready.Task.IsCompletedSuccessfully;

    /// <summary>Called by <c>WithAmi</c> once the manager runs.</summary>
    public void Started(IAmiClient inner) => _ready.TrySetResult(inner);

    public IActorRef Manager => IsStarted
        ? _ready.Task.Result.Manager
        : throw new InvalidOperationException("The AMI manager has not started yet: IAmiClient.Manager is available once the Akka.Hosting actor system runs (WithAmi starts it).");

    private ValueTask<IAmiClient> Inner(CancellationToken ct) =>
        IsStarted ? new ValueTask<IAmiClient>(_ready.Task.Result) : new ValueTask<IAmiClient>(_ready.Task.WaitAsync(ct));

    public Task<AmiActionResult> SendAsync(string serverId, IAmiAction action, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Measure(serverId, action, (c, a) => c.SendAsync(serverId, a, timeout, cancellationToken), cancellationToken);

    public Task<AmiActionResult> SendRawAsync(string serverId, IAmiAction action, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Measure(serverId, action, (c, a) => c.SendRawAsync(serverId, a, timeout, cancellationToken), cancellationToken);

    private async Task<AmiActionResult> Measure(string serverId, IAmiAction action, Func<IAmiClient, IAmiAction, Task<AmiActionResult>> send, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(action);
        var client = await Inner(ct).ConfigureAwait(false);
        if (_metrics is null)
        {
            return await send(client, action).ConfigureAwait(false);
        }
        var scope = _metrics.StartAction(serverId, action.ToAmiAction().Name);
        AmiActionResult result;
        try
        {
            result = await send(client, action).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            scope.Failed(e);
            throw;
        }
        scope.Replied(result.IsSuccess);
        return result;
    }

    public async Task SubscribeAsync(IActorRef subscriber, string? serverId = null, params string[] eventNames) =>
        await (await Inner(default).ConfigureAwait(false)).SubscribeAsync(subscriber, serverId, eventNames).ConfigureAwait(false);

    public async Task UnsubscribeAsync(IActorRef subscriber, string? serverId = null, params string[] eventNames) =>
        await (await Inner(default).ConfigureAwait(false)).UnsubscribeAsync(subscriber, serverId, eventNames).ConfigureAwait(false);

    public Source<AmiEventReceived, NotUsed> Events(string? serverId = null, IReadOnlyList<string>? eventNames = null, int bufferSize = 1024, OverflowStrategy overflowStrategy = OverflowStrategy.DropHead) =>
        IsStarted
            ? _ready.Task.Result.Events(serverId, eventNames, bufferSize, overflowStrategy)
            : Source.FromTask(_ready.Task).ConcatMany(c => c.Events(serverId, eventNames, bufferSize, overflowStrategy));

    public Source<AmiEventReceived, Task> SubscribedEvents(string? serverId = null, IReadOnlyList<string>? eventNames = null, int bufferSize = 1024, OverflowStrategy overflowStrategy = OverflowStrategy.DropHead) =>
        IsStarted
            ? _ready.Task.Result.SubscribedEvents(serverId, eventNames, bufferSize, overflowStrategy)
            : Source.Setup((_, _) =>
            {
                // One task per materialization: it follows the inner source's once the manager has started.
                var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return Source.FromTask(_ready.Task)
                    .ConcatMany(c => c.SubscribedEvents(serverId, eventNames, bufferSize, overflowStrategy).MapMaterializedValue(inner =>
                    {
                        _ = inner.ContinueWith(t =>
                        {
                            if (t.Exception is { } e)
                            {
                                subscribed.TrySetException(e.InnerExceptions);
                            }
                            else
                            {
                                subscribed.TrySetResult();
                            }
                        }, TaskScheduler.Default);
                        return NotUsed.Instance;
                    }))
                    .MapMaterializedValue(_ => subscribed.Task);
            }).MapMaterializedValue(t => t.Unwrap());

    public async Task AddServerAsync(AmiServerDefinition server, CancellationToken cancellationToken = default) =>
        await (await Inner(cancellationToken).ConfigureAwait(false)).AddServerAsync(server, cancellationToken).ConfigureAwait(false);

    public async Task RemoveServerAsync(string serverId, CancellationToken cancellationToken = default) =>
        await (await Inner(cancellationToken).ConfigureAwait(false)).RemoveServerAsync(serverId, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<AmiServerStatus>> GetServersAsync(CancellationToken cancellationToken = default) =>
        await (await Inner(cancellationToken).ConfigureAwait(false)).GetServersAsync(cancellationToken).ConfigureAwait(false);
}
