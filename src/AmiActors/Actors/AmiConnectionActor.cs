using Akka.Actor;
using Akka.Event;
using Akka.IO;
using AmiActors.Protocol;

namespace AmiActors.Actors;

/// <summary>
/// Owns one server's connection: connect, banner, login, heartbeat, reconnect with backoff; serializes actions onto the
/// socket (coalescing writes while one is unacknowledged) and routes what comes back: responses and ActionID-tagged events to
/// their correlation actor, every other event to the event router. Runs no user code.
/// </summary>
internal sealed class AmiConnectionActor : UntypedActor, IWithTimers
{
    /// <summary>Stop gracefully: refuse new actions, let in-flight ones finish (up to drain-timeout), Logoff, close, reply <see cref="Drained"/> and stop.</summary>
    public sealed record Drain(TimeSpan DrainTimeout);

    /// <summary>Reply to <see cref="Drain"/>.</summary>
    public sealed record Drained(string ServerId);

    /// <summary>Makes the actor throw, as a bug would (for supervision tests and fault injection).</summary>
    public sealed record InjectFailure(string Message);

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

    // The initial capacity of the event batch of the read being parsed.
    private int _eventsCapacityHint = 4;
    private readonly History _history;
    private readonly ILoggingAdapter _log;
    private readonly PendingActions _pending = new();
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

    public AmiConnectionActor(AmiServerDefinition server, AmiSettings settings, IActorRef router, History history)
    {
        _server = server;
        _settings = settings;
        _router = router;
        _history = history;
        _log = Context.GetLogger();
        _state = history.LastState;
        _actionTimeout = server.ActionTimeout ?? settings.DefaultActionTimeout;
        _buffer = new DisconnectedBuffer(server.Id);
        _login = new LoginHandshake(server);
        _backoff = new ReconnectBackoff(settings);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AmiServerDefinition server, AmiSettings settings, IActorRef router, History history) =>
        Akka.Actor.Props.Create(() => new AmiConnectionActor(server, settings, router, history));

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    protected override void PreStart() => Connect();

    protected override void PreRestart(Exception reason, object message)
    {
        _history.Crashes++;
        _stopReason = $"internal error in the connection actor ({reason.GetType().Name})";
        _log.Error(reason, "AMI server '{0}': connection actor failed while handling {1}; restarting with backoff", _server.Id, message?.GetType().Name ?? "?");
        base.PreRestart(reason, message);
    }

    protected override void PostRestart(Exception reason)
    {
        // Do not reconnect at once after a bug: wait a backoff that grows with consecutive crashes.
        var delay = _backoff.For(_history.Crashes);
        SetState(AmiConnectionState.Reconnecting, $"restarted after an internal error; reconnecting in {delay.TotalMilliseconds:0} ms");
        Timers.StartSingleTimer(ReconnectKey, ReconnectTick.Instance, delay);
    }

    protected override void PostStop()
    {
        // Children (correlation actors) die with this actor: answer their askers here so no one waits for nothing.
        foreach (var p in _pending.All)
        {
            p.Asker.Tell(new Status.Failure(new AmiConnectionLostException(_server.Id, p.ActionName, _stopReason)));
        }
        _pending.Clear();
        FailBuffered(b => new AmiConnectionLostException(_server.Id, b.Action.Name, _stopReason));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Received r:
                if (Sender.Equals(_outbound.Writer))
                {
                    OnReceived(r.Data);
                }
                break;
            case AmiManager.SendAction send:
                OnSendAction(send, Sender);
                break;
            case AmiCorrelationActor.Done done:
                OnActionDone(done.ActionId);
                break;
            case ActionTimeoutTick:
                ExpirePending();
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
                    SetState(AmiConnectionState.AwaitingBanner, null);
                    StartStage("banner", _settings.BannerTimeout);
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
        var options = new AmiTransport.Options(_server.Host, _server.Port, timeout, _server.UseTls, _server.TlsServerName, _server.AcceptInvalidCertificate);
        _transport = Context.ActorOf(AmiTransport.Props(options), "transport-" + _incarnation);
        SetState(AmiConnectionState.Connecting, null);
        // The transport has its own connect timeout; this one also covers a TLS handshake that never ends.
        StartStage("connect", timeout + TimeSpan.FromSeconds(1));
    }

    private void StartStage(string stage, TimeSpan after) => Timers.StartSingleTimer(StageKey, new StageTimeout(stage, after), after);

    private void BeginLogin()
    {
        SetState(AmiConnectionState.Authenticating, null);
        StartStage("login", _server.LoginTimeout ?? _settings.LoginTimeout);
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
            _log.Info("AMI server '{AmiServer}': logged in to {AmiEndpoint} as '{AmiUser}' (AMI {AmiVersion}), after {Attempts} attempt(s), down for {DownMs} ms",
                _server.Id, endpoint, _server.Username, _amiVersion ?? "unknown", _attemptsSinceLogin, (long)down.TotalMilliseconds);
        }
        else
        {
            _log.Info("AMI server '{AmiServer}': logged in to {AmiEndpoint} as '{AmiUser}' (AMI {AmiVersion}), after {Attempts} attempt(s), {StartupMs} ms after start",
                _server.Id, endpoint, _server.Username, _amiVersion ?? "unknown", _attemptsSinceLogin, (long)down.TotalMilliseconds);
        }
        _wasLoggedIn = true;
        _attemptsSinceLogin = 0;
        _downSince = null;
        _sessionStable = false;
        SetState(AmiConnectionState.Connected, null);
        Timers.StartSingleTimer(StableKey, StableTick.Instance, _settings.ResetAfter);
        _lastReceive = Now;
        if (_settings.HeartbeatInterval is { } interval)
        {
            Timers.StartSingleTimer(HeartbeatKey, HeartbeatTick.Instance, interval);
        }
        FlushBuffered();
    }

    private void OnAuthenticationFailed(string? serverMessage)
    {
        _authFailure = serverMessage ?? "no message";
        var reason = $"the server rejected the login of user '{_server.Username}': {_authFailure}";
        _log.Warning("AMI server '{0}': {1}", _server.Id, reason);
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
        SetState(AmiConnectionState.AuthenticationFailed, $"{reason}; next attempt in {delay.TotalMilliseconds:0} ms");
        Timers.StartSingleTimer(ReconnectKey, ReconnectTick.Instance, delay);
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
        _log.Info("AMI server '{AmiServer}': {Reason}; reconnecting in {DelayMs} ms", _server.Id, reason, (int)delay.TotalMilliseconds);
        SetState(AmiConnectionState.Reconnecting, reason);
        Timers.StartSingleTimer(ReconnectKey, ReconnectTick.Instance, delay);
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
            _transport = null;
        }
        _outbound.Reset();
        _parser = null;
        _pingId = null;
    }

    private void FailPending(string reason)
    {
        if (_pending.Count == 0)
        {
            return;
        }
        var lost = new AmiCorrelationActor.ConnectionLost(reason);
        foreach (var p in _pending.All)
        {
            if (p.Correlation is { } correlation)
            {
                correlation.Tell(lost);
            }
            else
            {
                p.Asker.Tell(new Status.Failure(new AmiConnectionLostException(_server.Id, p.ActionName, reason)));
                RouteEarly(p);
            }
        }
        _pending.Clear();
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
        _outbound.Write(new AmiAction("Ping"), _pingId);
        Timers.StartSingleTimer(HeartbeatTimeoutKey, HeartbeatTimeout.Instance, _settings.HeartbeatTimeout);
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
        List<AmiMessage>? events = null;
        {
            ReadOnlySpan<byte> input = data.ToReadOnlySpan();
            while (_parser is { } parser)
            {
                var status = parser.Read(ref input, out var message, out var error);
                if (status == AmiReadStatus.NeedMoreData)
                {
                    break;
                }
                if (status == AmiReadStatus.Error)
                {
                    _log.Error("AMI server '{0}': {1}; resetting the connection", _server.Id, error);
                    RouteBatch(ref events);
                    LoseConnection($"protocol error: {error.Code}");
                    return;
                }
                OnFrame(message!, ref events);
            }
        }
        RouteBatch(ref events);
    }

    private void RouteBatch(ref List<AmiMessage>? events)
    {
        if (events is not null)
        {
            _router.Tell(new AmiEventRouterActor.RouteEvents(_server.Id, events));
            events = null;
        }
    }

    private void OnFrame(AmiMessage message, ref List<AmiMessage>? events)
    {
        switch (message.Kind)
        {
            case AmiMessageKind.Event:
                if (_pending.Count > 0 && message.ActionId is { } eventActionId && _pending.TryGetValue(eventActionId, out var owner))
                {
                    if (owner.Correlation is { } correlation)
                    {
                        correlation.Tell(message);
                    }
                    else
                    {
                        (owner.Early ??= new List<AmiMessage>()).Add(message);
                    }
                }
                else
                {
                    // Sized for the rest of the read (events run a few hundred bytes), so a large read does not regrow the list.
                    (events ??= new List<AmiMessage>(_eventsCapacityHint)).Add(message);
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
            _log.Debug("AMI server '{0}': {1} without ActionID ignored", _server.Id, message);
            return;
        }
        if (_pending.TryGetValue(actionId, out var pending))
        {
            OnResponse(pending, message);
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
            _log.Debug("AMI server '{0}': late or unknown reply for ActionID {1} dropped", _server.Id, actionId);
        }
    }

    private void OnResponse(PendingActions.Pending pending, AmiMessage response)
    {
        if (pending.Correlation is { } correlation)
        {
            correlation.Tell(response);
            return;
        }
        if (response.IsError || (pending.OriginateTimeout is null && !response.IsListStart))
        {
            // A single response is the whole reply: answer here, no correlation actor.
            RouteEarly(pending);
            pending.Asker.Tell(new AmiActionResult(_server.Id, pending.ActionId, response, Array.Empty<AmiMessage>()));
            OnActionDone(pending.ActionId);
            return;
        }
        // A list or an async Originate: a correlation actor collects the rest, with what remains of the response timeout.
        var remaining = pending.Deadline - Now;
        correlation = Context.ActorOf(AmiCorrelationActor.Props(new AmiCorrelationActor.Request(
            _server.Id, pending.ActionName, pending.ActionId, pending.Asker, remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1), pending.OriginateTimeout, _router)));
        pending.Correlation = correlation;
        if (pending.Early is { } early)
        {
            foreach (var e in early)
            {
                correlation.Tell(e);
            }
            pending.Early = null;
        }
        correlation.Tell(response);
    }

    private void RouteEarly(PendingActions.Pending pending)
    {
        // Events that carried the ActionID but are not part of a single-response reply are ordinary events.
        if (pending.Early is { Count: > 0 } early)
        {
            _router.Tell(new AmiEventRouterActor.RouteEvents(_server.Id, early));
        }
        pending.Early = null;
    }

    // One timer for every action still waiting for its first response, set for the earliest deadline.
    private void ScheduleTimeoutCheck(DateTimeOffset deadline)
    {
        if (!_pending.MoveCheckTo(deadline))
        {
            return;
        }
        var delay = deadline - Now;
        Timers.StartSingleTimer(ActionTimeoutKey, ActionTimeoutTick.Instance, delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
    }

    private void ExpirePending()
    {
        var expired = _pending.Expired(Now, out var next);
        if (next is { } n)
        {
            ScheduleTimeoutCheck(n);
        }
        if (expired is null)
        {
            return;
        }
        foreach (var p in expired)
        {
            p.Asker.Tell(new Status.Failure(new AmiActionTimeoutException(_server.Id, p.ActionName, p.ActionId, p.Timeout, "the response")));
            RouteEarly(p);
            OnActionDone(p.ActionId);
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
        if (_pending.Count >= _settings.MaxInFlight)
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
        var deadline = Now + timeout;
        _pending.Add(new PendingActions.Pending(actionId, asker, action.Name, timeout, deadline, originateTimeout));
        ScheduleTimeoutCheck(deadline);
    }

    private void OnActionDone(string actionId)
    {
        _pending.Remove(actionId);
        if (_stopping && _pending.Count == 0 && _state == AmiConnectionState.Connected && _logoffId is null)
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
        if (_pending.Count == 0)
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
        _stopReason = $"the connection was stopped ({reason})";
        CloseTransport(abort: false);
        Timers.CancelAll();
        SetState(AmiConnectionState.Stopped, reason);
        _drainReplyTo?.Tell(new Drained(_server.Id));
        Context.Stop(Self);
    }
}
