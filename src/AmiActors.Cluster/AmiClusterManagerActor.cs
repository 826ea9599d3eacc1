using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.DistributedData;
using Akka.Event;
using static AmiActors.Cluster.AmiClusterProtocol;

namespace AmiActors.Cluster;

/// <summary>
/// A node's <c>ami</c> actor on a cluster: speaks the same <see cref="AmiManager"/> protocol as the single-node manager.
/// Actions go through the sharding region (or proxy) to the server's entity wherever it lives; the actions pending on a
/// node that becomes unreachable fail at once with <see cref="AmiOutcomeUnknownException"/>; server definitions are
/// written to Distributed Data; events and states of every server arrive by pub-sub.
/// </summary>
internal sealed class AmiClusterManagerActor : ReceiveActor, IWithTimers
{
    private const string KeepAliveTimer = "keep-alive";
    private const string SweepTimer = "sweep";
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private sealed record Pending(IActorRef Asker, string ServerId, string ActionName, string? Node, DateTime Deadline);

    private sealed record StateSubscriber(IActorRef Actor, string? ServerId);

    private sealed record Write(IActorRef ReplyTo, string ServerId, bool Add);

    private sealed class KeepAlive
    {
        public static readonly KeepAlive Instance = new();
    }

    private sealed class Sweep
    {
        public static readonly Sweep Instance = new();
    }

    private sealed record RemovalDone(string ServerId);

    private readonly AmiClusterContext _context;
    private readonly IActorRef _region;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly string _selfAddress;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<long, Pending> _pending = new();
    private readonly Dictionary<string, ServerState> _states = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unreachable = new(StringComparer.Ordinal);
    private readonly List<StateSubscriber> _stateSubscribers = new();
    private readonly Dictionary<string, List<IActorRef>> _removals = new(StringComparer.Ordinal);
    private readonly bool _publishToEventStream;
    private LWWDictionary<string, AmiClusterServer> _servers = LWWDictionary<string, AmiClusterServer>.Empty;
    private IActorRef _hub = ActorRefs.Nobody;
    private long _nextRequest;

    public AmiClusterManagerActor(AmiClusterContext context, IActorRef region)
    {
        _context = context;
        _region = region;
        _publishToEventStream = context.LocalSettings.PublishToEventStream;
        _selfAddress = _cluster.SelfAddress.ToString();

        Receive<AmiManager.SendAction>(OnSend);
        Receive<EntityReplied>(r =>
        {
            if (_pending.Remove(r.RequestId, out var p))
            {
                p.Asker.Tell(r.Result);
            }
        });
        Receive<EntityFailed>(f =>
        {
            if (_pending.Remove(f.RequestId, out var p))
            {
                p.Asker.Tell(new Status.Failure(f.Failure.ToException(p.ActionName)));
            }
        });
        Receive<ServerState>(OnState);
        Receive<ClusterEvent.UnreachableMember>(m => OnUnreachable(m.Member.Address.ToString()));
        Receive<ClusterEvent.ReachableMember>(m => _unreachable.Remove(m.Member.Address.ToString()));
        Receive<ClusterEvent.MemberRemoved>(m => OnRemoved(m.Member.Address.ToString()));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<Changed>(c => OnServers(c.Get(AmiClusterContext.ServersKey)));
        Receive<GetSuccess>(g => OnServers(g.Get(AmiClusterContext.ServersKey)));
        Receive<NotFound>(_ => { });
        Receive<AmiManager.AddServer>(OnAdd);
        Receive<AmiManager.RemoveServer>(OnRemove);
        Receive<UpdateSuccess>(OnWritten);
        Receive<IUpdateFailure>(OnWriteFailed);
        Receive<RemovalDone>(d => FinishRemoval(d.ServerId));
        Receive<AmiManager.GetServers>(_ => Sender.Tell(new AmiManager.GetServersResult(Statuses())));
        Receive<AmiManager.Subscribe>(s => _hub.Forward(s));
        Receive<AmiManager.Unsubscribe>(s => _hub.Forward(s));
        Receive<AmiManager.SubscribeConnectionState>(s =>
        {
            _stateSubscribers.Add(new StateSubscriber(s.Subscriber, s.ServerId));
            Context.Watch(s.Subscriber);
            Sender.Tell(new AmiManager.Subscribed(s.Subscriber));
        });
        Receive<Terminated>(t => _stateSubscribers.RemoveAll(s => s.Actor.Equals(t.ActorRef)));
        Receive<KeepAlive>(_ =>
        {
            foreach (var id in _servers.Keys)
            {
                _region.Tell(new ShardRegion.StartEntity(id));
            }
        });
        Receive<Sweep>(_ => OnSweep());
        Receive<SubscribeAck>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AmiClusterContext context, IActorRef region) => Akka.Actor.Props.Create(() => new AmiClusterManagerActor(context, region));

    protected override void PreStart()
    {
        _hub = Context.ActorOf(AmiClusterEventHubActor.Props(_context, _publishToEventStream), "events");
        _context.Mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Subscribe(_context.Settings.StateTopic, Self));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));
        _context.Replicator.Tell(Dsl.Subscribe(AmiClusterContext.ServersKey, Self));
        _context.Replicator.Tell(Dsl.Get(AmiClusterContext.ServersKey, ReadLocal.Instance));
        if (_context.Settings.SeedServersFromConfig && _context.LocalSettings.Servers.Count > 0)
        {
            // Servers of this node's own configuration: replicated with a config:ID reference, never their secret.
            var seeds = _context.LocalSettings.Servers.Select(s => AmiClusterServer.FromDefinition(s, "config:" + s.Id)).ToList();
            _context.Replicator.Tell(Dsl.Update(AmiClusterContext.ServersKey, LWWDictionary<string, AmiClusterServer>.Empty, WriteLocal.Instance,
                d => seeds.Aggregate(d, (acc, s) => acc.TryGetValue(s.Id, out var existing) && existing == s ? acc : acc.SetItem(_cluster, s.Id, s))));
        }
        Timers.StartPeriodicTimer(KeepAliveTimer, KeepAlive.Instance, _context.Settings.KeepAliveInterval);
        Timers.StartPeriodicTimer(SweepTimer, Sweep.Instance, SweepInterval);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void OnSend(AmiManager.SendAction send)
    {
        if (!_servers.ContainsKey(send.ServerId))
        {
            Sender.Tell(new Status.Failure(new UnknownServerException(send.ServerId)));
            return;
        }
        string? node = _states.TryGetValue(send.ServerId, out var state) ? state.Node : null;
        if (node is not null && _unreachable.Contains(node))
        {
            // The region would send it to the unreachable node until that node is downed: refuse now, nothing was sent.
            Sender.Tell(new Status.Failure(new AmiNotConnectedException(send.ServerId, send.Action.Name, AmiConnectionState.Reconnecting)));
            return;
        }
        long id = ++_nextRequest;
        var wait = (send.Timeout ?? _servers[send.ServerId].ActionTimeout ?? _context.LocalSettings.DefaultActionTimeout)
            + _context.LocalSettings.OriginateTimeout + TimeSpan.FromSeconds(10);
        _pending[id] = new Pending(Sender, send.ServerId, send.Action.Name, node, DateTime.UtcNow + wait);
        _region.Tell(new EntitySend(id, send));
    }

    private void OnUnreachable(string node)
    {
        if (!_unreachable.Add(node))
        {
            return;
        }
        _log.Warning("AMI cluster: node {0} unreachable; failing the actions pending on it as outcome unknown", node);
        FailPendingOn(node, $"node {node} hosting the PBX became unreachable while it was in flight");
        foreach (var state in _states.Values.Where(s => s.Node == node && s.Current != AmiConnectionState.Stopped).ToList())
        {
            var moved = state with
            {
                Previous = state.Current,
                Current = AmiConnectionState.Reconnecting,
                Reason = $"hosting node {node} is unreachable; the PBX reconnects on another node once it is downed",
            };
            _states[state.ServerId] = moved;
            Notify(new ConnectionStateChanged(moved.ServerId, moved.Previous, moved.Current, moved.Reason), toEventStream: true);
        }
    }

    private void OnRemoved(string node)
    {
        _unreachable.Remove(node);
        FailPendingOn(node, $"node {node} hosting the PBX left the cluster while it was in flight");
    }

    // Pending actions of a lost node, and those sent before any node said where their server is.
    private void FailPendingOn(string node, string reason)
    {
        foreach (var (id, p) in _pending.Where(kv => kv.Value.Node == node || kv.Value.Node is null).ToList())
        {
            _pending.Remove(id);
            p.Asker.Tell(new Status.Failure(new AmiOutcomeUnknownException(p.ServerId, p.ActionName, reason)));
        }
    }

    private void OnSweep()
    {
        var now = DateTime.UtcNow;
        foreach (var (id, _) in _pending.Where(kv => kv.Value.Deadline < now).ToList())
        {
            // The asker's own Ask has timed out by now; forget it so a lost reply cannot grow the table.
            _pending.Remove(id);
        }
    }

    private void OnState(ServerState state)
    {
        _states.TryGetValue(state.ServerId, out var previous);
        _states[state.ServerId] = state;
        if (previous is not null && previous.Node == state.Node && previous.Current == state.Current)
        {
            return; // a refresh
        }
        string where = previous is not null && previous.Node != state.Node
            ? $"now hosted on {state.Node} (was {previous.Node})"
            : $"hosted on {state.Node}";
        var reason = string.IsNullOrEmpty(state.Reason) || state.Reason == "hosted on " + state.Node ? where : $"{state.Reason}; {where}";
        // On the hosting node the connection itself publishes its changes to the EventStream: not twice.
        Notify(new ConnectionStateChanged(state.ServerId, previous?.Current ?? state.Previous, state.Current, reason),
            toEventStream: state.Node != _selfAddress);
        if (state.Current == AmiConnectionState.Stopped && !_servers.ContainsKey(state.ServerId))
        {
            FinishRemoval(state.ServerId);
        }
    }

    private void Notify(ConnectionStateChanged change, bool toEventStream)
    {
        foreach (var s in _stateSubscribers)
        {
            if (s.ServerId is null || string.Equals(s.ServerId, change.ServerId, StringComparison.Ordinal))
            {
                s.Actor.Tell(change);
            }
        }
        if (toEventStream)
        {
            Context.System.EventStream.Publish(change);
        }
    }

    private void OnServers(LWWDictionary<string, AmiClusterServer> servers)
    {
        var added = servers.Keys.Where(k => !_servers.ContainsKey(k)).ToList();
        _servers = servers;
        foreach (var id in added)
        {
            _region.Tell(new ShardRegion.StartEntity(id));
        }
    }

    private void OnAdd(AmiManager.AddServer add)
    {
        AmiClusterServer server;
        try
        {
            server = AmiClusterServer.FromDefinition(add.Server);
        }
        catch (AmiConfigurationException e)
        {
            Sender.Tell(new Status.Failure(e));
            return;
        }
        if (_servers.ContainsKey(server.Id))
        {
            Sender.Tell(new Status.Failure(new AmiException($"AMI server '{server.Id}' already exists.")));
            return;
        }
        _context.Replicator.Tell(Dsl.Update(AmiClusterContext.ServersKey, LWWDictionary<string, AmiClusterServer>.Empty, _context.Settings.WriteLevel,
            new Write(Sender, server.Id, Add: true), d => d.SetItem(_cluster, server.Id, server)));
    }

    private void OnRemove(AmiManager.RemoveServer remove)
    {
        if (!_servers.ContainsKey(remove.ServerId))
        {
            Sender.Tell(new Status.Failure(new UnknownServerException(remove.ServerId)));
            return;
        }
        _context.Replicator.Tell(Dsl.Update(AmiClusterContext.ServersKey, LWWDictionary<string, AmiClusterServer>.Empty, _context.Settings.WriteLevel,
            new Write(Sender, remove.ServerId, Add: false), d => d.Remove(_cluster, remove.ServerId)));
    }

    private void OnWritten(UpdateSuccess success)
    {
        if (success.Request is not Write write)
        {
            return;
        }
        if (write.Add)
        {
            _region.Tell(new ShardRegion.StartEntity(write.ServerId));
            write.ReplyTo.Tell(new AmiManager.ServerAdded(write.ServerId));
            return;
        }
        // Removed from the definitions: the entity drains, logs off and reports Stopped; answer then (or after the drain limit).
        if (!_removals.TryGetValue(write.ServerId, out var waiters))
        {
            waiters = [];
            _removals[write.ServerId] = waiters;
            var limit = _context.LocalSettings.DrainTimeout + _context.LocalSettings.LogoffTimeout + TimeSpan.FromSeconds(5);
            Timers.StartSingleTimer("removal-" + write.ServerId, new RemovalDone(write.ServerId), limit);
        }
        waiters.Add(write.ReplyTo);
        if (_states.TryGetValue(write.ServerId, out var state) && state.Current == AmiConnectionState.Stopped)
        {
            FinishRemoval(write.ServerId);
        }
    }

    private void FinishRemoval(string serverId)
    {
        if (_removals.Remove(serverId, out var waiters))
        {
            Timers.Cancel("removal-" + serverId);
            foreach (var w in waiters)
            {
                w.Tell(new AmiManager.ServerRemoved(serverId));
            }
        }
    }

    private void OnWriteFailed(IUpdateFailure failure)
    {
        if (failure is not IUpdateResponse { Request: Write write })
        {
            return;
        }
        string what = write.Add ? "adding" : "removing";
        var detail = failure is UpdateTimeout
            ? $"not confirmed by {_context.Settings.WriteConsistency} of the nodes within {_context.Settings.WriteTimeout.TotalSeconds:0.#} s (it is applied locally and may still spread)"
            : failure.GetType().Name;
        write.ReplyTo.Tell(new Status.Failure(new AmiException($"AMI cluster: {what} server '{write.ServerId}' was {detail}.")));
    }

    private List<AmiServerStatus> Statuses() => _servers.Keys.Order(StringComparer.Ordinal).Select(id =>
        _states.TryGetValue(id, out var s)
            ? new AmiServerStatus(id, s.Current, s.AmiVersion, s.EventsDropped) { Node = s.Node }
            : new AmiServerStatus(id, AmiConnectionState.Connecting, null, 0)).ToList();
}
