using Akka.Actor;
using Akka.Event;

namespace AmiActors.Actors;

/// <summary>
/// The supervisor named <c>ami</c>: holds the server definitions, runs one connection actor per server (restarted with backoff
/// when it fails), routes actions by server id, owns the event router and serves connection-state subscriptions.
/// </summary>
internal sealed class AmiManagerActor : UntypedActor
{
    /// <summary>
    /// Asks for the connection actor of a server, so a client can send it actions without the manager's hop (replied to
    /// with <see cref="ConnectionOf"/>, or a failure with <see cref="UnknownServerException"/>).
    /// </summary>
    public sealed record GetConnection(string ServerId);

    /// <summary>Reply to <see cref="GetConnection"/>.</summary>
    public sealed record ConnectionOf(string ServerId, IActorRef Connection);

    /// <summary>Graceful stop of every connection (CoordinatedShutdown); replied to with <see cref="Akka.Done"/>.</summary>
    public sealed class ShutdownAll
    {
        public static readonly ShutdownAll Instance = new();
        private ShutdownAll() { }
    }

    private sealed class Server(AmiServerDefinition definition, IActorRef connection)
    {
        public AmiServerDefinition Definition { get; } = definition;
        public IActorRef Connection { get; } = connection;
        public AmiConnectionState State { get; set; } = AmiConnectionState.Connecting;
        public string? AmiVersion { get; set; }
    }

    private sealed record StateSubscriber(IActorRef Actor, string? ServerId);

    private readonly AmiSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, Server> _servers = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, (string ServerId, IActorRef? ReplyTo)> _removing = new();
    private readonly List<StateSubscriber> _stateSubscribers = new();
    private readonly List<IActorRef> _shutdownWaiters = new();
    // Outlives the router's restarts: every incarnation of the router is created with this same table.
    private readonly EventSubscriptions _subscriptions = new();
    private IActorRef _router = ActorRefs.Nobody;
    private bool _shuttingDown;
    private int _generation;

    public AmiManagerActor(AmiSettings settings) => _settings = settings;

    public static Props Props(AmiSettings settings) => Akka.Actor.Props.Create(() => new AmiManagerActor(settings));

    // One for one, Restart, never give up (an exception in either child is a bug, and the system must keep serving):
    // - a connection actor fails its askers at once (PreRestart -> PostStop: AmiConnectionCrashedException), then waits a backoff
    //   that grows with consecutive crashes before reconnecting (PostRestart); the other servers are not touched.
    // - the event router keeps every subscription (they live in _subscriptions, handed to each incarnation) and counts the
    //   batch it failed on as dropped; the events queued behind it are routed by the new incarnation.
    // Kill (ActorKilledException) restarts too, so an operator can reset a wedged child without losing its server or subscribers.
    protected override SupervisorStrategy SupervisorStrategy() => Strategy;

    // Not logged here: each child logs its own failure in PreRestart, with the server and what it was doing.
    private static readonly SupervisorStrategy Strategy = new OneForOneStrategy(-1, -1, Decider.From(Directive.Restart), loggingEnabled: false);

    protected override void PreStart()
    {
        AmiInlineDispatcher.EnsureRegistered(Context.System);
        _router = Context.ActorOf(AmiEventRouterActor.Props(_settings, _subscriptions), "events");
        foreach (var server in _settings.Servers)
        {
            Start(server);
        }
        RegisterShutdownTask();
    }

    // Drain and log off in service-unbind, before the actor system stops its actors.
    private void RegisterShutdownTask()
    {
        var self = Self;
        var wait = _settings.DrainTimeout + _settings.LogoffTimeout + TimeSpan.FromSeconds(2);
        try
        {
            CoordinatedShutdown.Get(Context.System).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "ami-drain-" + Self.Path.Name, async () =>
            {
                try
                {
                    await self.Ask<Akka.Done>(ShutdownAll.Instance, wait).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The manager is gone or did not finish in time: the system goes on shutting down regardless.
                }
                return Akka.Done.Instance;
            });
        }
        catch (Exception e)
        {
            // Shutdown already running (the manager restarted late): nothing left to register for.
            _log.Debug("AMI manager: CoordinatedShutdown task not registered: {Reason}", e.Message);
        }
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case AmiManager.SendAction send:
                if (_servers.TryGetValue(send.ServerId, out var target))
                {
                    target.Connection.Forward(send);
                }
                else
                {
                    Sender.Tell(new Status.Failure(new UnknownServerException(send.ServerId)));
                }
                break;
            case GetConnection get:
                if (_servers.TryGetValue(get.ServerId, out var server))
                {
                    Sender.Tell(new ConnectionOf(get.ServerId, server.Connection));
                }
                else
                {
                    Sender.Tell(new Status.Failure(new UnknownServerException(get.ServerId)));
                }
                break;
            case AmiConnectionActor.StatusChanged status:
                OnStatus(status);
                break;
            case AmiManager.Subscribe or AmiManager.Unsubscribe:
                _router.Forward(message);
                break;
            case AmiManager.SubscribeConnectionState s:
                _stateSubscribers.Add(new StateSubscriber(s.Subscriber, s.ServerId));
                Context.Watch(s.Subscriber);
                Sender.Tell(new AmiManager.Subscribed(s.Subscriber));
                break;
            case AmiManager.GetServers:
                Sender.Tell(new AmiManager.GetServersResult(_servers.Values
                    .Select(s => new AmiServerStatus(s.Definition.Id, s.State, s.AmiVersion, AmiEventDrops.Get(Context.System).Read(s.Definition.Id)))
                    .ToList()));
                break;
            case AmiManager.AddServer add:
                OnAdd(add.Server);
                break;
            case AmiManager.RemoveServer remove:
                OnRemove(remove.ServerId);
                break;
            case ShutdownAll:
                OnShutdown();
                break;
            case AmiConnectionActor.Drained:
                break;
            case Terminated t:
                OnTerminated(t.ActorRef);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnAdd(AmiServerDefinition definition)
    {
        try
        {
            AmiSettings.Validate(definition);
        }
        catch (AmiConfigurationException e)
        {
            Sender.Tell(new Status.Failure(e));
            return;
        }
        if (_servers.ContainsKey(definition.Id))
        {
            Sender.Tell(new Status.Failure(new AmiException($"AMI server '{definition.Id}' already exists.")));
            return;
        }
        if (_shuttingDown)
        {
            Sender.Tell(new Status.Failure(new AmiException("The AMI manager is shutting down.")));
            return;
        }
        Start(definition);
        Sender.Tell(new AmiManager.ServerAdded(definition.Id));
    }

    private void Start(AmiServerDefinition definition)
    {
        string name = "connection-" + definition.Id + "-" + (++_generation);
        if (!ActorPath.IsValidPathElement(name))
        {
            name = "connection-" + _generation;
        }
        var connection = Context.ActorOf(AmiConnectionActor.Props(definition, _settings, _router, new AmiConnectionActor.History()), name);
        Context.Watch(connection);
        _servers.Add(definition.Id, new Server(definition, connection));
    }

    private void OnRemove(string serverId)
    {
        if (!_servers.Remove(serverId, out var server))
        {
            Sender.Tell(new Status.Failure(new UnknownServerException(serverId)));
            return;
        }
        _removing[server.Connection] = (serverId, Sender);
        server.Connection.Tell(new AmiConnectionActor.Drain(_settings.DrainTimeout));
    }

    private void OnShutdown()
    {
        _shutdownWaiters.Add(Sender);
        if (!_shuttingDown)
        {
            _shuttingDown = true;
            foreach (var server in _servers.Values)
            {
                _removing[server.Connection] = (server.Definition.Id, null);
                server.Connection.Tell(new AmiConnectionActor.Drain(_settings.DrainTimeout));
            }
            _servers.Clear();
        }
        CompleteShutdownIfDone();
    }

    private void CompleteShutdownIfDone()
    {
        if (_shuttingDown && _removing.Count == 0)
        {
            foreach (var waiter in _shutdownWaiters)
            {
                waiter.Tell(Akka.Done.Instance);
            }
            _shutdownWaiters.Clear();
        }
    }

    private void OnStatus(AmiConnectionActor.StatusChanged status)
    {
        var change = status.Change;
        if (_servers.TryGetValue(change.ServerId, out var server) && server.Connection.Equals(Sender))
        {
            server.State = change.Current;
            server.AmiVersion = status.AmiVersion ?? server.AmiVersion;
        }
        LogStateChange(change, deliberate: _shuttingDown || _removing.ContainsKey(Sender));
        foreach (var s in _stateSubscribers)
        {
            if (s.ServerId is null || string.Equals(s.ServerId, change.ServerId, StringComparison.Ordinal))
            {
                s.Actor.Tell(change);
            }
        }
    }

    // One line per transition, structured (ServerId, PreviousState, State, Reason): the steps of a connect at Debug, Connected and
    // a stop asked for at Info, a lost connection, a refused login and a give-up at Warning.
    private void LogStateChange(ConnectionStateChanged change, bool deliberate)
    {
        var level = change.Current switch
        {
            AmiConnectionState.Connecting or AmiConnectionState.AwaitingBanner or AmiConnectionState.Authenticating => LogLevel.DebugLevel,
            AmiConnectionState.Connected => LogLevel.InfoLevel,
            AmiConnectionState.Stopped when deliberate => LogLevel.InfoLevel,
            _ => LogLevel.WarningLevel,
        };
        if (!_log.IsEnabled(level))
        {
            return;
        }
        // States as their names: an enum would be rendered as a JSON string (quoted) by Serilog's :j.
        string previous = change.Previous.ToString(), current = change.Current.ToString();
        if (change.Reason is null)
        {
            _log.Log(level, null, "AMI server {ServerId}: {PreviousState} -> {State}", change.ServerId, previous, current);
        }
        else
        {
            _log.Log(level, null, "AMI server {ServerId}: {PreviousState} -> {State}: {Reason}", change.ServerId, previous, current, change.Reason);
        }
    }

    private void OnTerminated(IActorRef actor)
    {
        if (_removing.Remove(actor, out var removed))
        {
            removed.ReplyTo?.Tell(new AmiManager.ServerRemoved(removed.ServerId));
            CompleteShutdownIfDone();
            return;
        }
        foreach (var (id, server) in _servers)
        {
            if (server.Connection.Equals(actor))
            {
                // Stopped on its own (it should not): forget it so actions get UnknownServerException rather than silence.
                _log.Warning("AMI server {ServerId}: connection actor stopped unexpectedly; the server is removed", id);
                _servers.Remove(id);
                return;
            }
        }
        _stateSubscribers.RemoveAll(s => s.Actor.Equals(actor));
    }
}
