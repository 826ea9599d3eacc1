using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.DistributedData;
using Akka.Event;
using static AmiActors.Cluster.AmiClusterProtocol;

namespace AmiActors.Cluster;

/// <summary>
/// The sharded entity of one server (entity id = server id): on the node that hosts it, a local AMI manager with that one
/// server (so the same connection, correlation and router actors as on a single node), its events and states published
/// to every node, its actions answered to the asking node's manager. On hand-off it drains, logs off and stops; when the
/// server is removed from the replicated definitions it does the same and passivates.
/// </summary>
internal sealed class AmiServerEntityActor : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    private const string RefreshTimer = "refresh";
    private const string GiveUpTimer = "give-up";
    private const string RetryTimer = "retry";
    private static readonly TimeSpan AskGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DefinitionWait = TimeSpan.FromSeconds(10);

    private sealed class GiveUp
    {
        public static readonly GiveUp Instance = new();
    }

    private sealed class Refresh
    {
        public static readonly Refresh Instance = new();
    }

    private sealed class Retry
    {
        public static readonly Retry Instance = new();
    }

    private sealed class StopEntity
    {
        public static readonly StopEntity Instance = new();
    }

    // Sent to self when the first event of a batch arrives: it is processed after the events already in the mailbox.
    private sealed class FlushEvents
    {
        public static readonly FlushEvents Instance = new();
    }

    private readonly string _serverId;
    private readonly AmiClusterContext _context;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _node;
    private AmiClusterServer? _server;
    private IActorRef _manager = ActorRefs.Nobody;
    private ServerState _state;
    private List<AmiEventReceived>? _batch;

    public AmiServerEntityActor(string serverId, AmiClusterContext context)
    {
        _serverId = serverId;
        _context = context;
        _node = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
        _state = new ServerState(serverId, AmiConnectionState.Stopped, AmiConnectionState.Stopped, null, _node, null, 0);
        Waiting();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    public static Props Props(string serverId, AmiClusterContext context) => Akka.Actor.Props.Create(() => new AmiServerEntityActor(serverId, context));

    protected override void PreStart()
    {
        _context.Replicator.Tell(Dsl.Subscribe(AmiClusterContext.ServersKey, Self));
        _context.Replicator.Tell(Dsl.Get(AmiClusterContext.ServersKey, ReadLocal.Instance));
        Timers.StartSingleTimer(GiveUpTimer, GiveUp.Instance, DefinitionWait);
    }

    // Until the definition is known (the local replica may lag behind the node that added the server).
    private void Waiting()
    {
        Receive<GetSuccess>(g => OnDefinitions(g.Get(AmiClusterContext.ServersKey), initial: true));
        Receive<NotFound>(_ => { });
        Receive<Changed>(c => OnDefinitions(c.Get(AmiClusterContext.ServersKey), initial: true));
        Receive<GiveUp>(_ =>
        {
            _log.Warning("AMI server '{0}': no definition replicated within {1}; the entity passivates", _serverId, DefinitionWait);
            Stash.UnstashAll();
            Become(Gone);
            Context.Parent.Tell(new Passivate(StopEntity.Instance));
        });
        Receive<StopEntity>(_ => Context.Stop(Self));
        Receive<HandOff>(_ => Context.Stop(Self));
        ReceiveAny(_ => Stash.Stash());
    }

    private void OnDefinitions(LWWDictionary<string, AmiClusterServer> servers, bool initial)
    {
        if (servers.TryGetValue(_serverId, out var server))
        {
            if (initial)
            {
                _server = server;
                Timers.Cancel(GiveUpTimer);
                Start();
            }
        }
        else if (!initial)
        {
            Remove("removed from the cluster's servers", passivate: true);
        }
    }

    private void Start()
    {
        var server = _server!;
        string? secret = _context.Secrets.Resolve(server.SecretRef);
        if (secret is null)
        {
            // No secret here: say so (naming the reference, never a value) and look again later.
            Publish(AmiConnectionState.AuthenticationFailed, $"secret reference '{server.SecretRef}' cannot be resolved on node {_node}");
            Become(Unresolved);
            Timers.StartSingleTimer(RetryTimer, Retry.Instance, TimeSpan.FromSeconds(5));
            Stash.UnstashAll();
            return;
        }
        var settings = _context.LocalSettings with
        {
            Servers = [server.ToDefinition(secret)],
            PublishToEventStream = false,
            SubscriberBufferSize = _context.Settings.RelayBufferSize,
        };
        _manager = Context.ActorOf(AmiClient.CreateManagerProps(settings), AmiManager.ActorName);
        _manager.Tell(new AmiManager.SubscribeConnectionState(Self, _serverId));
        _manager.Tell(new AmiManager.Subscribe(Self, _serverId));
        Publish(AmiConnectionState.Connecting, "hosted on " + _node);
        Timers.StartPeriodicTimer(RefreshTimer, Refresh.Instance, _context.Settings.StateRefreshInterval);
        Become(Running);
        Stash.UnstashAll();
    }

    private void Unresolved()
    {
        Receive<Retry>(_ => Start());
        Receive<Changed>(c => OnDefinitions(c.Get(AmiClusterContext.ServersKey), initial: false));
        Receive<EntitySend>(send => Sender.Tell(new EntityFailed(send.RequestId,
            ActionFailure.From(new AmiNotConnectedException(_serverId, send.Send.Action.Name, AmiConnectionState.AuthenticationFailed), _serverId))));
        Receive<GetServerState>(_ => Sender.Tell(_state));
        Receive<Refresh>(_ => _context.Mediator.Tell(new Publish(_context.Settings.StateTopic, _state)));
        Receive<HandOff>(_ => Context.Stop(Self));
        Receive<StopEntity>(_ => Context.Stop(Self));
    }

    private void Running()
    {
        Receive<AmiEventReceived>(OnEvent);
        Receive<FlushEvents>(_ => Flush());
        Receive<EntitySend>(OnSend);
        Receive<AmiManager.SendAction>(send => _manager.Forward(send));
        Receive<ConnectionStateChanged>(c =>
        {
            Publish(c.Current, c.Reason);
            if (c.Current == AmiConnectionState.Connected)
            {
                _manager.Tell(AmiManager.GetServers.Instance); // for the AMI version of the new session
            }
        });
        Receive<GetServerState>(_ => Sender.Tell(_state));
        // Each refresh reads the local manager's view (AMI version, events dropped on this node), then republishes.
        Receive<Refresh>(_ => _manager.Tell(AmiManager.GetServers.Instance));
        Receive<AmiManager.GetServersResult>(r =>
        {
            if (r.Servers.FirstOrDefault(s => s.ServerId == _serverId) is { } status)
            {
                _state = _state with { AmiVersion = status.AmiVersion, EventsDropped = status.EventsDropped };
            }
            _context.Mediator.Tell(new Publish(_context.Settings.StateTopic, _state));
        });
        Receive<Changed>(c => OnDefinitions(c.Get(AmiClusterContext.ServersKey), initial: false));
        Receive<HandOff>(_ => Remove("handed off by node " + _node, passivate: false));
        Receive<AmiManager.Subscribed>(_ => { });
        Receive<StopEntity>(_ => Context.Stop(Self));
    }

    private void OnSend(EntitySend send)
    {
        var replyTo = Sender;
        long id = send.RequestId;
        string serverId = _serverId;
        var action = send.Send.Action;
        var wait = (send.Send.Timeout ?? _server!.ActionTimeout ?? _context.LocalSettings.DefaultActionTimeout) + AskGrace;
        if (send.Send.Timeout is null && string.Equals(action.Name, "Originate", StringComparison.OrdinalIgnoreCase))
        {
            wait += _context.LocalSettings.OriginateTimeout;
        }
        _manager.Ask(send.Send, wait).ContinueWith(t =>
        {
            object reply = t.IsCompletedSuccessfully
                ? t.Result switch
                {
                    AmiActionResult r => new EntityReplied(id, r),
                    Status.Failure f => new EntityFailed(id, ActionFailure.From(f.Cause, serverId)),
                    var other => new EntityFailed(id, new ActionFailure(FailureKind.Other, serverId, $"Unexpected reply {other.GetType().Name}.", [])),
                }
                : new EntityFailed(id, ActionFailure.From(
                    new AmiOutcomeUnknownException(serverId, action.Name, "no reply from the connection within " + wait.TotalSeconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " s",
                        t.Exception?.GetBaseException()), serverId));
            replyTo.Tell(reply);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // Drain (in-flight actions finish within ami.shutdown.drain-timeout or fail as connection lost), Logoff, then stop.
    private void Remove(string reason, bool passivate)
    {
        Timers.Cancel(RefreshTimer);
        _manager.Tell(new AmiManager.RemoveServer(_serverId));
        var limit = _context.LocalSettings.DrainTimeout + _context.LocalSettings.LogoffTimeout + TimeSpan.FromSeconds(2);
        Timers.StartSingleTimer(GiveUpTimer, GiveUp.Instance, limit);
        Become(() =>
        {
            Receive<AmiEventReceived>(OnEvent);
            Receive<FlushEvents>(_ => Flush());
            Receive<ConnectionStateChanged>(c => Publish(c.Current, c.Reason));
            Receive<AmiManager.ServerRemoved>(_ => Finish());
            Receive<Status.Failure>(_ => Finish());
            Receive<GiveUp>(_ => Finish());
            Receive<EntitySend>(send => Sender.Tell(new EntityFailed(send.RequestId,
                ActionFailure.From(new AmiNotConnectedException(_serverId, send.Send.Action.Name, AmiConnectionState.Stopped), _serverId))));
            Receive<GetServerState>(_ => Sender.Tell(_state));
            Receive<StopEntity>(_ => Context.Stop(Self));
            Receive<HandOff>(_ => { });
            ReceiveAny(_ => { });
        });

        void Finish()
        {
            Flush();
            Publish(AmiConnectionState.Stopped, reason);
            Become(Gone);
            if (passivate)
            {
                Context.Parent.Tell(new Passivate(StopEntity.Instance));
            }
            else
            {
                Context.Stop(Self);
            }
        }
    }

    private void Gone()
    {
        Receive<StopEntity>(_ => Context.Stop(Self));
        Receive<HandOff>(_ => Context.Stop(Self));
        Receive<EntitySend>(send => Sender.Tell(new EntityFailed(send.RequestId, ActionFailure.From(new UnknownServerException(_serverId), _serverId))));
        ReceiveAny(_ => { });
    }

    private void OnEvent(AmiEventReceived e)
    {
        if (_batch is null)
        {
            _batch = new List<AmiEventReceived>(16);
            Self.Tell(FlushEvents.Instance);
        }
        _batch.Add(e);
        if (_batch.Count >= EventBatch.MaxEvents)
        {
            Flush();
        }
    }

    private void Flush()
    {
        if (_batch is { Count: > 0 } batch)
        {
            _context.Mediator.Tell(new Publish(_context.Settings.EventsTopic, new EventBatch(_serverId, batch)));
        }
        _batch = null;
    }

    private void Publish(AmiConnectionState current, string? reason)
    {
        Flush(); // events before the state change stay before it
        _state = _state with { Previous = _state.Current, Current = current, Reason = reason };
        _context.Mediator.Tell(new Publish(_context.Settings.StateTopic, _state));
    }
}
