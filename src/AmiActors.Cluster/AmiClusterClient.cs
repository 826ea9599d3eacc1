using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Protocol;

namespace AmiActors.Cluster;

/// <summary>
/// <see cref="IAmiClient"/> on a cluster node: the same contract as on a single node, over every PBX of the cluster.
/// Actions reach the server's connection wherever it is hosted; events and states of every server arrive here;
/// <see cref="AmiServerStatus.Node"/> tells where each server is hosted.
/// </summary>
public sealed class AmiClusterClient : IAmiClient
{
    private static readonly TimeSpan AdminTimeout = TimeSpan.FromSeconds(30);
    private readonly AmiClient _local;

    internal AmiClusterClient(IActorRef manager, ActorSystem system, AmiSettings settings, IActorRef region)
    {
        Manager = manager;
        Settings = settings;
        Region = region;
        _local = AmiClient.For(manager, system, settings);
    }

    /// <inheritdoc />
    public IActorRef Manager { get; }

    /// <summary>The sharding region (or proxy) of the server entities.</summary>
    public IActorRef Region { get; }

    /// <summary>This node's <c>ami</c> settings.</summary>
    public AmiSettings Settings { get; }

    /// <inheritdoc />
    public async Task<AmiActionResult> SendAsync(string serverId, IAmiAction action, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AmiSendRules.ThrowIfError(await SendRawAsync(serverId, action, timeout, cancellationToken).ConfigureAwait(false), action);

    /// <inheritdoc />
    /// <remarks>
    /// Fails with <see cref="AmiOutcomeUnknownException"/> when the node hosting the server becomes unreachable or
    /// leaves, or the connection drops, while the action is in flight; with <see cref="AmiNotConnectedException"/> (nothing
    /// sent) while the hosting node is unreachable.
    /// </remarks>
    public async Task<AmiActionResult> SendRawAsync(string serverId, IAmiAction action, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var (generic, wait) = AmiSendRules.Prepare(serverId, action, timeout, Settings);
        var reply = await Manager.Ask(new AmiManager.SendAction(serverId, generic, timeout), wait, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            AmiActionResult result => result,
            Status.Failure failure => throw failure.Cause,
            _ => throw new AmiException($"Unexpected reply {reply.GetType().Name} from the AMI cluster manager."),
        };
    }

    /// <inheritdoc />
    public Task SubscribeAsync(IActorRef subscriber, string? serverId = null, params string[] eventNames) =>
        _local.SubscribeAsync(subscriber, serverId, eventNames);

    /// <inheritdoc />
    public Task UnsubscribeAsync(IActorRef subscriber, string? serverId = null, params string[] eventNames) =>
        _local.UnsubscribeAsync(subscriber, serverId, eventNames);

    /// <summary>Subscribes an actor to <see cref="ConnectionStateChanged"/> of one server (null: all), wherever it is hosted.</summary>
    public Task SubscribeConnectionStateAsync(IActorRef subscriber, string? serverId = null) =>
        _local.SubscribeConnectionStateAsync(subscriber, serverId);

    /// <inheritdoc />
    public Source<AmiEventReceived, Task> Events(string? serverId = null, IReadOnlyList<string>? eventNames = null, int bufferSize = 0, OverflowStrategy overflowStrategy = OverflowStrategy.DropHead) =>
        _local.Events(serverId, eventNames, bufferSize, overflowStrategy);

    /// <inheritdoc />
    /// <remarks>
    /// Cluster-wide: the definition is replicated (write consistency <c>ami.cluster.write-consistency</c>) and the server
    /// connects on one hosting node. Its <see cref="AmiServerDefinition.Secret"/> must be a reference (<c>env:NAME</c>,
    /// <c>secret:NAME</c>, <c>config:ID</c>) resolved on the hosting node; a secret in clear is refused.
    /// </remarks>
    public async Task AddServerAsync(AmiServerDefinition server, CancellationToken cancellationToken = default)
    {
        var reply = await Manager.Ask(new AmiManager.AddServer(server), AdminTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is Status.Failure failure)
        {
            throw failure.Cause;
        }
    }

    /// <inheritdoc />
    public async Task RemoveServerAsync(string serverId, CancellationToken cancellationToken = default)
    {
        var wait = Settings.DrainTimeout + Settings.LogoffTimeout + AdminTimeout;
        var reply = await Manager.Ask(new AmiManager.RemoveServer(serverId), wait, cancellationToken).ConfigureAwait(false);
        if (reply is Status.Failure failure)
        {
            throw failure.Cause;
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AmiServerStatus>> GetServersAsync(CancellationToken cancellationToken = default) =>
        _local.GetServersAsync(cancellationToken);
}
