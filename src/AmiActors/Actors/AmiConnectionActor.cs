using Akka.Actor;
using Akka.Event;
using Akka.IO;
using AmiActors.Protocol;

namespace AmiActors.Actors;

/// <summary>
/// Owns one server's connection: connect, banner, login, heartbeat, reconnect with backoff; serializes actions onto the
/// socket (coalescing writes while one is unacknowledged) and routes what comes back: responses and ActionID-tagged events to
/// the action's correlation actor (a child made for each action as it is written), every other event to the event router.
/// Keeps only the ActionID -> correlation actor map and one timer for all their deadlines. Runs no user code.
/// </summary>
internal sealed class AmiConnectionActor : UntypedActor, IWithTimers
{
    /// <summary>Stop gracefully: refuse new actions, let in-flight ones finish (up to drain-timeout), Logoff, close, reply <see cref="Drained"/> and stop.</summary>
    public sealed record Drain(TimeSpan DrainTimeout);

    /// <summary>Reply to <see cref="Drain"/>.</summary>
    public sealed record Drained(string ServerId);

    /// <summary>Makes the actor throw, as a bug would (for supervision tests and fault injection).</summary>
    public sealed record InjectFailure(string Message);

    /// <summary>Asks how many actions are in flight and how many correlation actors are alive (diagnostics, tests).</summary>
    public sealed class GetCorrelations
    {
        public static readonly GetCorrelations Instance = new();
        private GetCorrelations() { }
    }

    /// <summary>Reply to <see cref="GetCorrelations"/>: actions in the ActionID map, and correlation actors among the children.</summary>
    public sealed record GetCorrelationsResult(int InFlight, int Children);

    /// <summary>Tells the manager about a state change (and the AMI version of the current session).</summary>
    public sealed record StatusChanged(ConnectionStateChanged Change, string? AmiVersion);

    /// <summary>Survives restarts of the actor (the manager creates one per server): keeps backoff and incarnations monotonic.</summary>
    internal sealed class History
    {
        public long Incarnation;
        public int Crashes;
        public AmiConnectionState LastState = AmiConnectionState.Connecting;
    }

    private sealed record StageTimeout(string Stage, TimeSpan After);
    private sealed class ReconnectTick { public static readonly ReconnectTick Instance = new(); }
    private sealed class HeartbeatTick { public static readonly HeartbeatTick Instance = new(); }
    private sealed class HeartbeatTimeout { public static readonly HeartbeatTimeout Instance = new(); }
    private sealed class StableTick { public static readonly StableTick Instance = new(); }
    private sealed class BufferExpiryTick { public static readonly BufferExpiryTick Instance = new(); }
    private sealed class DrainTimeoutTick { public static readonly DrainTimeoutTick Instance = new(); }
    private sealed class ActionTimeoutTick { public static readonly ActionTimeoutTick Instance = new(); }
    private sealed class LogoffTimeoutTick { public static readonly LogoffTimeoutTick Instance = new(); }

    private const string StageKey = "stage";
    private const string ReconnectKey = "reconnect";
    private const string HeartbeatKey = "heartbeat";
    private const string HeartbeatTimeoutKey = "heartbeat-timeout";
    private const string StableKey = "stable";
    private const string BufferExpiryKey = "buffer-expiry";
    private const string DrainKey = "drain";
    private const string LogoffKey = "logoff";
    private const string ActionTimeoutKey = "action-timeout";

    private readonly AmiServerDefinition _server;
    private readonly AmiSettings _settings;
    private readonly IActorRef _router;

    // Events handed to the router and not yet routed by it: reads stop while this is MaxUnroutedEvents or more.
    private const int MaxUnroutedEvents = 16_384;
    private readonly AmiEventRouterActor.RouterBacklog _backlog = new(MaxUnroutedEvents);
    private bool _pullReads;
    private bool _readRequested;

    // The events of the read being parsed; a list, if the read has more than one, is sized from the read (events run
    // a few hundred bytes) so a large read does not regrow it.
    private OneOrManyBuilder<AmiMessage> _events;
    // ami.connection.share-read-buffers: whether messages may reference their read, and only a read about their size (auto).
    private readonly bool _shareReads;
    private readonly bool _shareBounded;
    private int _eventsCapacityHint = 4;
    private readonly History _history;
    private readonly ILoggingAdapter _log;
    private readonly CorrelationTable _correlations = new();
    private readonly DisconnectedBuffer _buffer;
    private readonly ConnectionOutbound _outbound = new();
    private readonly LoginHandshake _login;
    private readonly ReconnectBackoff _backoff;
    private readonly TimeSpan _actionTimeout;

    private AmiConnectionState _state;
    private IActorRef? _transport;
    private AmiParser? _parser;
    private long _incarnation;
    private long _counter;
    private string _idPrefix = "";
    private string? _pingId;
    private string? _logoffId;
    private string? _amiVersion;
    private string? _authFailure;
    private int _attempts;
    // Sessions in a row that ended before reset-after: a flapping server backs off, a kicked session comes back at once.
    private int _shortSessions;
    private bool _sessionStable;
    private int _attemptsSinceLogin;
    private bool _wasLoggedIn;
    private DateTimeOffset? _downSince;
    private DateTimeOffset _lastReceive;
    private bool _stopping;
    private IActorRef? _drainReplyTo;
    private string _stopReason = "the connection actor stopped";
    // Stopped, waiting for the last correlation actors to answer their askers (and a TLS transport to send close_notify)
    // before this actor stops.
    private bool _finishing;
    private IActorRef? _closingTransport;
    private Exception? _crash;

    public AmiConnectionActor(AmiServerDefinition server, AmiSettings settings, IActorRef router, History history)
    {
        _server = server;
        _settings = settings;
        _shareReads = settings.ShareReadBuffers != AmiReadBufferSharing.Off;
        _shareBounded = settings.ShareReadBuffers == AmiReadBufferSharing.Auto;
        _router = router;
        _history = history;
        _log = Context.GetLogger();
        _state = history.LastState;
        _actionTimeout = server.ActionTimeout ?? settings.DefaultActionTimeout;
        _buffer = new DisconnectedBuffer(server.Id);
        _login = new LoginHandshake(server);
        _backoff = new ReconnectBackoff(settings);
        AmiInlineDispatcher.EnsureRegistered(Context.System);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AmiServerDefinition server, AmiSettings settings, IActorRef router, History history) =>
        Akka.Actor.Props.Create(() => new AmiConnectionActor(server, settings, router, history)).WithDispatcher(settings.Dispatcher);

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    protected override void PreStart() => Connect();

    // A correlation actor that throws escalates (a bug: every asker of this server fails at once and this actor restarts after its
    // crash backoff); a transport that throws is stopped, and its Closed makes this actor reconnect. See ConnectionChildStrategy.
    protected override SupervisorStrategy SupervisorStrategy() => ConnectionChildStrategy.Instance;

    protected override void PreRestart(Exception reason, object message)
    {
        _history.Crashes++;
        _crash = reason;
        _log.Error(reason, "AMI server {ServerId}: connection actor failed while handling {MessageType}; restarting with backoff (crash {Crashes} in a row)",
            _server.Id, message?.GetType().Name ?? "?", _history.Crashes);
        // Not the default (stop every child): the correlation actors, suspended since the failure, restart with this actor and
        // answer their askers with AmiConnectionCrashedException (AmiCorrelationActor.PreRestart); the transport goes with
        // this incarnation.
        if (_transport is not null)
        {
            Context.Stop(_transport);
        }
        PostStop();
    }

    protected override void PostRestart(Exception reason)
    {
        // Do not reconnect at once after a bug: wait a backoff that grows with consecutive crashes.
        var delay = _backoff.For(_history.Crashes);
        // Timers are armed before a state is published: whoever reacts to the state (a virtual-time test) finds them set.
        Timers.StartSingleTimer(ReconnectKey, ReconnectTick.Instance, delay);
        SetState(AmiConnectionState.Reconnecting, $"restarted after an internal error; reconnecting in {delay.TotalMilliseconds:0} ms");
    }

    // Correlation actors still running when this actor stops are stopped with it and fail their own askers.
    protected override void PostStop() => FailBuffered(b => Stopped(b.Action.Name));

    private AmiConnectionLostException Stopped(string actionName) => _crash is null
        ? new AmiConnectionLostException(_server.Id, actionName, _stopReason)
        : new AmiConnectionCrashedException(_server.Id, actionName, _crash.GetType().Name);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Received r:
                if (Sender.Equals(_outbound.Writer))
                {
                    _readRequested = false;
                    OnReceived(r.Data);
                    ResumeReadingIfRoom();
                }
                break;
            case AmiEventRouterActor.Routed:
                ResumeReadingIfRoom();
                break;
            case AmiManager.SendAction send:
                OnSendAction(send, Sender);
                break;
            case AmiCorrelationActor.Done done:
                OnActionDone(done.ActionId);
                if (done.Answered)
                {
                    // After every frame this actor routed to it: those reach the event router first, then it stops.
                    Sender.Tell(AmiCorrelationActor.Release.Instance);
                }
                break;
            case AmiCorrelationActor.ExtendDeadline extend:
                if (_correlations.Extend(extend.ActionId, extend.Deadline))
                {
                    ScheduleTimeoutCheck(extend.Deadline);
                }
                break;
            case ActionTimeoutTick:
                ExpireDeadlines();
                break;
            case AmiTransport.WriteAck:
                if (Sender.Equals(_outbound.Writer))
                {
                    _outbound.OnAck();
                }
                break;
            case Tcp.Event closing:
                // A close or a failed write reported by the writer: the transport turns it into Closed.
                if (Sender.Equals(_outbound.Writer))
                {
                    _transport?.Forward(closing);
                }
                break;
            case AmiTransport.Connected connected:
                if (Sender.Equals(_transport))
                {
                    _outbound.Attach(connected.Writer);
                    _pullReads = connected.PullReads;
                    _readRequested = false;
                    ResumeReadingIfRoom();
                    StartStage("banner", _settings.BannerTimeout);
                    SetState(AmiConnectionState.AwaitingBanner, null);
                }
                break;
            case AmiTransport.Closed closed:
                if (Sender.Equals(_transport))
                {
                    _transport = null;
                    _outbound.Reset();
                    LoseConnection(closed.Reason);
                }
                break;
            case StageTimeout t:
                LoseConnection($"{t.Stage} timed out after {t.After.TotalMilliseconds:0} ms");
                break;
            case HeartbeatTick:
                OnHeartbeatTick();
                break;
            case HeartbeatTimeout:
                LoseConnection($"no reply to the heartbeat Ping within {_settings.HeartbeatTimeout.TotalMilliseconds:0} ms");
                break;
            case ReconnectTick:
                if (_transport is null && !_stopping)
                {
                    Connect();
                }
                break;
            case StableTick:
                _attempts = 0;
                _shortSessions = 0;
                _sessionStable = true;
                _history.Crashes = 0;
                break;
            case BufferExpiryTick:
                ExpireBuffered();
                break;
            case Drain drain:
                OnDrain(drain, Sender);
                break;
            case DrainTimeoutTick:
                if (_state == AmiConnectionState.Connected && _logoffId is null)
                {
                    SendLogoff();
                }
                break;
            case Terminated t when t.ActorRef.Equals(_closingTransport):
                _closingTransport = null;
                if (_finishing)
                {
                    StopWhenSettled();
                }
                break;
            case GetCorrelations:
                Sender.Tell(new GetCorrelationsResult(_correlations.Count, Context.GetChildren().Count(c => c.Path.Name.StartsWith('$'))));
                break;
            case InjectFailure failure:
                throw new InvalidOperationException(failure.Message);
            case LogoffTimeoutTick:
                FinishStop("Logoff was not answered in time");
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // ---- connection lifecycle ----

    private void Connect()
    {
        _incarnation = ++_history.Incarnation;
        _idPrefix = _incarnation.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".";
        _counter = 0;
        _pingId = _logoffId = null;
        _login.Reset();
        _parser = new AmiParser(new AmiParserOptions { MaxFrameSize = _settings.MaxFrameSize, ExpectBanner = true });
        _outbound.Reset();
        _attemptsSinceLogin++;
        _downSince ??= Now;
        var timeout = _server.ConnectTimeout ?? _settings.ConnectTimeout;
        var options = new AmiTransport.Options(_server.Host, _server.Port, timeout, _server.UseTls, _server.TlsServerName, _server.AcceptInvalidCertificate, _settings.ReadBufferSize);
        _transport = Context.ActorOf(AmiTransport.Props(options), "transport-" + _incarnation);
        // The transport has its own connect timeout; this one also covers a TLS handshake that never ends.
        StartStage("connect", timeout + TimeSpan.FromSeconds(1));
        SetState(AmiConnectionState.Connecting, null);
    }

    private void StartStage(string stage, TimeSpan after) => Timers.StartSingleTimer(StageKey, new StageTimeout(stage, after), after);

    private void BeginLogin()
    {
        StartStage("login", _server.LoginTimeout ?? _settings.LoginTimeout);
        SetState(AmiConnectionState.Authenticating, null);
        _login.Start(_idPrefix, _outbound);
    }

    private void OnLoggedIn()
    {
        Timers.Cancel(StageKey);
        _authFailure = null;
        var down = Now - (_downSince ?? Now);
        // Named properties: a structured sink (Serilog's JSON) gets AmiServer, AmiEndpoint, ... as fields.
        string endpoint = $"{_server.Host}:{_server.Port}";
        if (_wasLoggedIn)
        {
            _log.Info("AMI server '{ServerId}': logged in to {AmiEndpoint} as '{AmiUser}' (AMI {AmiVersion}), after {Attempts} attempt(s), down for {DownMs} ms",
                _server.Id, endpoint, _server.Username, _amiVersion ?? "unknown", _attemptsSinceLogin, (long)down.TotalMilliseconds);
        }
        else
        {
            _log.Info("AMI server '{ServerId}': logged in to {AmiEndpoint} as '{AmiUser}' (AMI {AmiVersion}), after {Attempts} attempt(s), {StartupMs} ms after start",
                _server.Id, endpoint, _server.Username, _amiVersion ?? "unknown", _attemptsSinceLogin, (long)down.TotalMilliseconds);
        }
        _wasLoggedIn = true;
        _attemptsSinceLogin = 0;
        _downSince = null;
        _sessionStable = false;
        Timers.StartSingleTimer(StableKey, StableTick.Instance, _settings.ResetAfter);
        _lastReceive = Now;
        if (_settings.HeartbeatInterval is { } interval)
        {
            Timers.StartSingleTimer(HeartbeatKey, HeartbeatTick.Instance, interval);
        }
        SetState(AmiConnectionState.Connected, null);
        FlushBuffered();
    }

    private void OnAuthenticationFailed(string? serverMessage)
    {
        _authFailure = serverMessage ?? "no message";
        var reason = $"the server rejected the login of user '{_server.Username}': {_authFailure}";
        FailBuffered(b => new AmiAuthenticationException(_server.Id, _server.Username, _authFailure));
        CloseTransport(abort: true);
        FailPending(reason);
        Timers.Cancel(StageKey);
        _attempts++;
        if (GiveUp(reason))
        {
            return;
        }
        var delay = Max(_settings.AuthenticationFailureBackoff, _backoff.For(_attempts));
        Timers.StartSingleTimer(ReconnectKey, ReconnectTick.Instance, delay);
        SetState(AmiConnectionState.AuthenticationFailed, $"{reason}; next attempt in {delay.TotalMilliseconds:0} ms");
    }

    // The connection is gone (closed, timed out, dead, corrupt): fail what is in flight, then reconnect after a backoff.
    private void LoseConnection(string reason)
    {
        bool wasLoggedIn = _state == AmiConnectionState.Connected;
        CloseTransport(abort: true);
        Timers.Cancel(StageKey);
        Timers.Cancel(HeartbeatKey);
        Timers.Cancel(HeartbeatTimeoutKey);
        Timers.Cancel(StableKey);
        FailPending(reason);
        if (_stopping)
        {
            FinishStop(reason);
            return;
        }
        if (wasLoggedIn)
        {
            // A session that was logged in: the first attempt comes after min-backoff, unless it and the sessions before it
            // were short (each ended within reset-after of its login): then each short session in a row doubles the wait.
            _downSince = Now;
            _attempts = _sessionStable ? 0 : _shortSessions++;
        }
        _attempts++;
        if (GiveUp(reason))
        {
            return;
        }
        var delay = _backoff.For(_attempts);
        Timers.StartSingleTimer(ReconnectKey, ReconnectTick.Instance, delay);
        SetState(AmiConnectionState.Reconnecting, $"{reason}; reconnecting in {delay.TotalMilliseconds:0} ms");
    }

    private bool GiveUp(string reason)
    {
        if (_settings.MaxAttempts <= 0 || _attempts < _settings.MaxAttempts)
        {
            return false;
        }
        SetState(AmiConnectionState.Stopped, $"{reason}; giving up after {_attempts} consecutive failed attempts (ami.reconnect.max-attempts)");
        FailBuffered(b => new AmiNotConnectedException(_server.Id, b.Action.Name, AmiConnectionState.Stopped));
        return true;
    }

    private void CloseTransport(bool abort)
    {
        if (_transport is not null)
        {
            _transport.Tell(new AmiTransport.Close(abort));
            if (!abort)
            {
                // A clean close takes the transport a moment (TLS: close_notify, then the TCP close): stopping waits for it.
                _closingTransport = _transport;
                Context.Watch(_closingTransport);
            }
            _transport = null;
        }
        _outbound.Reset();
        _parser = null;
        _pingId = null;
    }

    // The correlation actors in flight fail their askers with the reason and stop.
    private void FailPending(string reason)
    {
        if (_correlations.Count == 0)
        {
            return;
        }
        _correlations.ReleaseAll(new AmiCorrelationActor.ConnectionLost(reason));
        Timers.Cancel(ActionTimeoutKey);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private void SetState(AmiConnectionState state, string? reason)
    {
        if (state == _state && reason is null)
        {
            return;
        }
        var change = new ConnectionStateChanged(_server.Id, _state, state, reason);
        _state = state;
        _history.LastState = state;
        Context.System.EventStream.Publish(change);
        Context.Parent.Tell(new StatusChanged(change, _amiVersion));
    }

    // ---- heartbeat ----

    private void OnHeartbeatTick()
    {
        if (_state != AmiConnectionState.Connected || _settings.HeartbeatInterval is not { } interval || _pingId is not null)
        {
            return;
        }
        var idle = Now - _lastReceive;
        if (idle < interval)
        {
            Timers.StartSingleTimer(HeartbeatKey, HeartbeatTick.Instance, interval - idle);
            return;
        }
        _pingId = _idPrefix + "h" + (++_counter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Armed before the Ping leaves: whoever sees the Ping arrive (a virtual-time test) finds the timeout set.
        Timers.StartSingleTimer(HeartbeatTimeoutKey, HeartbeatTimeout.Instance, _settings.HeartbeatTimeout);
        _outbound.Write(new AmiAction("Ping"), _pingId);
    }

    private void OnHeartbeatReply()
    {
        _pingId = null;
        Timers.Cancel(HeartbeatTimeoutKey);
        if (_settings.HeartbeatInterval is { } interval)
        {
            Timers.StartSingleTimer(HeartbeatKey, HeartbeatTick.Instance, interval);
        }
    }

    // ---- inbound ----

    private void OnReceived(ByteString data)
    {
        _lastReceive = Now;
        _eventsCapacityHint = Math.Clamp(data.Count / 256, 4, 1024);
        {
            ArraySegment<byte> segment = default;
            bool shared = _shareReads && ByteStringArrays.TryGetSegment(data, out segment);
            ReadOnlySpan<byte> input = shared ? default : data.ToReadOnlySpan();
            while (_parser is { } parser)
            {
                // A ByteString's array is never modified once built (Akka.IO and the TLS transport allocate one per read).
                var status = shared ? parser.ReadShared(ref segment, _shareBounded, out var message, out var error) : parser.Read(ref input, out message, out error);
                if (status == AmiReadStatus.NeedMoreData)
                {
                    break;
                }
                if (status == AmiReadStatus.Error)
                {
                    _log.Error("AMI server {ServerId}: {ProtocolError}; resetting the connection", _server.Id, error);
                    RouteBatch();
                    LoseConnection($"protocol error: {error.Code}");
                    return;
                }
                OnFrame(message!);
            }
        }
        RouteBatch();
    }

    private void RouteBatch()
    {
        if (!_events.IsEmpty)
        {
            var batch = new AmiEventRouterActor.RouteEvents(_server.Id, _events.Take(), _backlog);
            _backlog.Added(batch.Events.Count);
            _router.Tell(batch);
        }
    }

    // Pull-mode reads: the next read is asked for once this one is parsed, and only while the router is less than
    // MaxUnroutedEvents behind; otherwise the flood waits in the socket (and the server's) buffers, not in mailboxes.
    private void ResumeReadingIfRoom()
    {
        if (_pullReads && !_readRequested && _outbound.Writer is { } writer && _backlog.HasRoom())
        {
            _readRequested = true;
            writer.Tell(Tcp.ResumeReading.Instance);
        }
    }

    private void OnFrame(AmiMessage message)
    {
        switch (message.Kind)
        {
            case AmiMessageKind.Event:
                if (_correlations.Count > 0 && message.ActionId is { } eventActionId && _correlations.TryGetValue(eventActionId, out var owner))
                {
                    owner.Tell(message);
                }
                else
                {
                    _events.Add(message, _eventsCapacityHint);
                }
                return;
            case AmiMessageKind.Banner:
                if (_state == AmiConnectionState.AwaitingBanner)
                {
                    _amiVersion = message.BannerVersion;
                    BeginLogin();
                }
                return;
        }

        string? actionId = message.ActionId;
        if (actionId is null)
        {
            _log.Debug("AMI server {ServerId}: {Frame} without ActionID ignored", _server.Id, message);
            return;
        }
        if (_correlations.TryGetValue(actionId, out var correlation))
        {
            correlation.Tell(message);
            return;
        }
        switch (_login.OnReply(actionId, message, _outbound))
        {
            case LoginHandshake.Result.LoggedIn:
                OnLoggedIn();
                return;
            case LoginHandshake.Result.Rejected:
                OnAuthenticationFailed(_login.Rejection);
                return;
            case LoginHandshake.Result.Continuing:
                return;
        }
        if (actionId == _pingId)
        {
            OnHeartbeatReply();
        }
        else if (actionId == _logoffId)
        {
            FinishStop("logged off");
        }
        else
        {
            _log.Debug("AMI server {ServerId}: late or unknown reply for ActionID {ActionId} dropped", _server.Id, actionId);
        }
    }

    // One timer for every action in flight, set for the earliest deadline.
    private void ScheduleTimeoutCheck(DateTimeOffset deadline)
    {
        if (!_correlations.MoveCheckTo(deadline))
        {
            return;
        }
        var delay = deadline - Now;
        Timers.StartSingleTimer(ActionTimeoutKey, ActionTimeoutTick.Instance, delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
    }

    private void ExpireDeadlines()
    {
        var expired = _correlations.TakeExpired(Now);
        // The next check first: a correlation actor answers its asker as it is told (it runs on this thread).
        if (_correlations.NextDeadline is { } next)
        {
            ScheduleTimeoutCheck(next);
        }
        if (expired is null)
        {
            return;
        }
        foreach (var (actor, deadline) in expired)
        {
            actor.Tell(new AmiCorrelationActor.DeadlinePassed(deadline));
        }
    }

    // ---- outbound ----

    private void OnSendAction(AmiManager.SendAction send, IActorRef asker)
    {
        var action = send.Action;
        if (_stopping)
        {
            asker.Tell(new Status.Failure(new AmiNotConnectedException(_server.Id, action.Name, AmiConnectionState.Stopped)));
            return;
        }
        var timeout = send.Timeout is { } t && t > TimeSpan.Zero ? t : _actionTimeout;
        TimeSpan? originateTimeout = IsAsyncOriginate(action) ? send.Timeout ?? _settings.OriginateTimeout : null;
        if (_state == AmiConnectionState.Connected)
        {
            SendNow(action, asker, timeout, originateTimeout);
            return;
        }
        try
        {
            AmiWriter.Validate(action, "0.0");
        }
        catch (AmiActionValidationException e)
        {
            asker.Tell(new Status.Failure(e));
            return;
        }
        Exception? refusal = _state switch
        {
            AmiConnectionState.AuthenticationFailed => new AmiAuthenticationException(_server.Id, _server.Username, _authFailure),
            AmiConnectionState.Stopped => new AmiNotConnectedException(_server.Id, action.Name, _state),
            _ when _settings.WhenDisconnected == AmiDisconnectedPolicy.Fail => new AmiNotConnectedException(_server.Id, action.Name, _state),
            _ when _buffer.Count >= _settings.DisconnectedBufferSize => new AmiBackpressureException(_server.Id, action.Name, "disconnected-buffer", _settings.DisconnectedBufferSize),
            _ => null,
        };
        if (refusal is not null)
        {
            asker.Tell(new Status.Failure(refusal));
            return;
        }
        if (_buffer.Add(new DisconnectedBuffer.Item(action, asker, Now + timeout, timeout, originateTimeout)))
        {
            Timers.StartSingleTimer(BufferExpiryKey, BufferExpiryTick.Instance, timeout);
        }
    }

    private static bool IsAsyncOriginate(AmiAction action)
    {
        if (!string.Equals(action.Name, "Originate", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        string? value = action.Get("Async");
        return value is not null && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase)
            || value == "1" || value.Equals("on", StringComparison.OrdinalIgnoreCase) || value.Equals("y", StringComparison.OrdinalIgnoreCase) || value.Equals("t", StringComparison.OrdinalIgnoreCase));
    }

    private void SendNow(AmiAction action, IActorRef asker, TimeSpan timeout, TimeSpan? originateTimeout)
    {
        if (_correlations.Count >= _settings.MaxInFlight)
        {
            asker.Tell(new Status.Failure(new AmiBackpressureException(_server.Id, action.Name, "max-in-flight", _settings.MaxInFlight)));
            return;
        }
        string actionId = _idPrefix + (++_counter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            if (!_outbound.TryWrite(action, actionId, _settings.MaxOutboundQueueBytes))
            {
                asker.Tell(new Status.Failure(new AmiBackpressureException(_server.Id, action.Name, "outbound-queue", _settings.MaxOutboundQueueBytes)));
                return;
            }
        }
        catch (AmiActionValidationException e)
        {
            asker.Tell(new Status.Failure(e));
            return;
        }
        var correlation = Context.ActorOf(AmiCorrelationActor.Props);
        correlation.Tell(new AmiCorrelationActor.Request(_server.Id, action.Name, actionId, asker, timeout, originateTimeout, _router));
        var deadline = Now + timeout;
        _correlations.Add(actionId, correlation, deadline);
        ScheduleTimeoutCheck(deadline);
    }

    private void OnActionDone(string actionId)
    {
        _correlations.Remove(actionId);
        if (_finishing)
        {
            StopWhenSettled();
            return;
        }
        if (_stopping && _correlations.Count == 0 && _state == AmiConnectionState.Connected && _logoffId is null)
        {
            SendLogoff();
        }
    }

    private void FlushBuffered()
    {
        if (_buffer.Count == 0)
        {
            return;
        }
        Timers.Cancel(BufferExpiryKey);
        var now = Now;
        foreach (var b in _buffer.TakeAll())
        {
            var remaining = b.Deadline - now;
            if (remaining <= TimeSpan.Zero)
            {
                _buffer.FailTimedOut(b);
                continue;
            }
            SendNow(b.Action, b.Asker, remaining, b.OriginateTimeout);
        }
    }

    private void ExpireBuffered()
    {
        var now = Now;
        if (_buffer.Expire(now) is { } next)
        {
            Timers.StartSingleTimer(BufferExpiryKey, BufferExpiryTick.Instance, next - now);
        }
    }

    private void FailBuffered(Func<DisconnectedBuffer.Item, Exception> error)
    {
        if (_buffer.FailAll(error))
        {
            Timers.Cancel(BufferExpiryKey);
        }
    }

    // ---- graceful stop ----

    private void OnDrain(Drain drain, IActorRef replyTo)
    {
        _drainReplyTo = replyTo;
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        Timers.Cancel(ReconnectKey);
        FailBuffered(b => new AmiNotConnectedException(_server.Id, b.Action.Name, AmiConnectionState.Stopped));
        if (_state != AmiConnectionState.Connected || _transport is null)
        {
            FinishStop("stopped");
            return;
        }
        if (_correlations.Count == 0)
        {
            SendLogoff();
        }
        else
        {
            Timers.StartSingleTimer(DrainKey, DrainTimeoutTick.Instance, drain.DrainTimeout);
        }
    }

    private void SendLogoff()
    {
        Timers.Cancel(DrainKey);
        Timers.Cancel(HeartbeatKey);
        Timers.Cancel(HeartbeatTimeoutKey);
        _logoffId = _idPrefix + "o";
        _outbound.Write(new AmiAction("Logoff"), _logoffId);
        Timers.StartSingleTimer(LogoffKey, LogoffTimeoutTick.Instance, _settings.LogoffTimeout);
    }

    private void FinishStop(string reason)
    {
        if (_finishing)
        {
            return;
        }
        _stopReason = $"the connection was stopped ({reason})";
        CloseTransport(abort: false);
        FailPending(_stopReason);
        Timers.CancelAll();
        SetState(AmiConnectionState.Stopped, reason);
        _drainReplyTo?.Tell(new Drained(_server.Id));
        // Stop once every correlation actor has answered its asker (each says Done), so each asker hears this reason, and the
        // transport has closed.
        _finishing = true;
        StopWhenSettled();
    }

    private void StopWhenSettled()
    {
        if (_correlations.Outstanding == 0 && _closingTransport is null)
        {
            Context.Stop(Self);
        }
    }
}
