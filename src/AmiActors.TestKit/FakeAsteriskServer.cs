using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using AmiActors.Protocol;
using AmiActors.TestKit.Internal;

namespace AmiActors.TestKit;

/// <summary>
/// A fake Asterisk Manager Interface server on a real TCP socket (127.0.0.1, a free port by default), behaving like the
/// Asterisk 22.10.1 captured in the fixtures: banner, plain and MD5 login, permissions, one action at a time per session
/// with events interleaved, Ping, Command, CoreShowChannels/Status lists over simulated channels, Originate (async and
/// sync), Events masks, UserEvent, Logoff, and the server's error texts and input limits. Tests script it (custom
/// action handlers, emitted events, floods), read back what it received, wait for conditions, and inject faults.
/// </summary>
/// <example>
/// <code>
/// await using var server = await FakeAsteriskServer.StartAsync();
/// // connect your client to server.EndPoint, log in as admin/amp111
/// var login = await server.WaitForActionAsync("Login");
/// await server.EmitEventAsync(("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", "PJSIP/100-00000001"));
/// server.OnAction("QueueStatus", ctx => ctx.Success("Queue status will follow"));
/// </code>
/// </example>
public sealed class FakeAsteriskServer : IAsyncDisposable
{
    /// <summary>How long the Wait* methods wait by default: generous, for loaded CI machines.</summary>
    public static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan SessionCloseTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<int, FakeAmiSession> _sessions = new();
    private readonly ConcurrentDictionary<int, Task> _sessionTasks = new();
    private readonly ConcurrentDictionary<long, Task> _background = new();
    private readonly ConcurrentDictionary<string, Registration> _handlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<FakeReceivedAction> _received = new();
    private readonly List<Exception> _handlerErrors = [];
    private readonly List<FakeChannel> _channels = [];
    private readonly ConcurrentDictionary<(string Channel, string Name), string> _variables = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly bool _ownsCertificate;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private CancellationTokenSource _lifetimeCts = new();
    private int _nextSessionId;
    private long _sequence;
    private long _backgroundId;
    private long _channelSequence;
    private long _uniqueSequence;
    private long _callsProcessed;
    private int _connectionCount;
    private bool _running;
    private bool _disposed;

    private FakeAsteriskServer(FakeAsteriskOptions options)
    {
        Options = options;
        Faults = new FakeAsteriskFaults(this);
        if (options.UseTls)
        {
            _ownsCertificate = options.Certificate is null;
            Certificate = options.Certificate ?? SelfSignedCertificate.Create();
        }
        StartedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>The options the server was started with.</summary>
    public FakeAsteriskOptions Options { get; }

    /// <summary>The port the server listens on (kept across <see cref="StopAsync"/> and <see cref="StartAgainAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>The address and port to connect to.</summary>
    public IPEndPoint EndPoint => new(Options.Address, Port);

    /// <summary>True while the server accepts connections.</summary>
    public bool IsRunning => Volatile.Read(ref _running);

    /// <summary>The TLS certificate clients see (to pin or trust it), or null without TLS.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>When the server was created (the base of Uptime values).</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Fault injection.</summary>
    public FakeAsteriskFaults Faults { get; }

    /// <summary>The sessions connected now, in accept order.</summary>
    public IReadOnlyList<FakeAmiSession> Sessions => _sessions.Values.Where(s => s.IsConnected).OrderBy(s => s.Id).ToArray();

    /// <summary>Connections accepted since creation, those closed before the banner included.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Every action received by any session, in arrival order (a snapshot).</summary>
    public IReadOnlyList<FakeReceivedAction> ReceivedActions
    {
        get
        {
            lock (_gate)
            {
                return _received.ToArray();
            }
        }
    }

    /// <summary>Exceptions thrown by custom action handlers (each was answered with an Error response).</summary>
    public IReadOnlyList<Exception> HandlerErrors
    {
        get
        {
            lock (_gate)
            {
                return _handlerErrors.ToArray();
            }
        }
    }

    /// <summary>The simulated channels, in creation order (a snapshot).</summary>
    public IReadOnlyList<FakeChannel> Channels
    {
        get
        {
            lock (_gate)
            {
                return _channels.ToArray();
            }
        }
    }

    internal long UptimeSeconds => (long)(DateTimeOffset.UtcNow - StartedAt).TotalSeconds;

    internal long CallsProcessed => Interlocked.Read(ref _callsProcessed);

    /// <summary>Starts a server and returns once it listens.</summary>
    /// <param name="options">The configuration (defaults when null).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<FakeAsteriskServer> StartAsync(FakeAsteriskOptions? options = null, CancellationToken cancellationToken = default)
    {
        var server = new FakeAsteriskServer(options ?? new FakeAsteriskOptions());
        server.Port = server.Options.Port;
        try
        {
            await server.StartListeningAsync(retryWhilePortInUse: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>
    /// Scripts the action <paramref name="actionName"/> (case-insensitive; replaces a built-in of the same name and any
    /// earlier handler). The handler runs after the login check (before login only Login, Logoff and Challenge reach it)
    /// and after the write-permission check against <paramref name="requiredPermission"/>.
    /// </summary>
    /// <returns>Disposing it removes the handler (the built-in, if any, answers again).</returns>
    public IDisposable OnAction(string actionName, FakeActionHandler handler, FakeAmiPermissions requiredPermission = FakeAmiPermissions.None)
    {
        ArgumentException.ThrowIfNullOrEmpty(actionName);
        ArgumentNullException.ThrowIfNull(handler);
        var registration = new Registration(handler, requiredPermission);
        _handlers[actionName] = registration;
        return new Unregister(this, actionName, registration);
    }

    /// <summary>Scripts an action with a synchronous handler returning the reply (or null for none). See <see cref="OnAction(string, FakeActionHandler, FakeAmiPermissions)"/>.</summary>
    public IDisposable OnAction(string actionName, Func<FakeActionContext, AmiMessage?> handler, FakeAmiPermissions requiredPermission = FakeAmiPermissions.None)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return OnAction(actionName, ctx => ValueTask.FromResult(handler(ctx)), requiredPermission);
    }

    /// <summary>Adds a simulated channel (listed by CoreShowChannels and Status). Fills in Uniqueid, Linkedid and CreatedAt when unset.</summary>
    /// <returns>The channel as stored.</returns>
    public FakeChannel AddChannel(FakeChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var stored = channel;
        if (stored.Uniqueid.Length == 0)
        {
            stored = stored with { Uniqueid = NextUniqueId() };
        }
        if (stored.Linkedid.Length == 0)
        {
            stored = stored with { Linkedid = stored.Uniqueid };
        }
        if (stored.CreatedAt == default)
        {
            stored = stored with { CreatedAt = DateTimeOffset.UtcNow };
        }
        lock (_gate)
        {
            _channels.Add(stored);
        }
        Interlocked.Increment(ref _callsProcessed);
        NotifyChanged();
        return stored;
    }

    /// <summary>The value of a variable set by the Setvar action or <see cref="SetVariable"/> (global when <paramref name="channel"/> is empty), or null.</summary>
    public string? GetVariable(string channel, string name) =>
        _variables.TryGetValue((channel.ToUpperInvariant(), name), out var value) ? value : null;

    /// <summary>Sets a variable that the Getvar action reads (global when <paramref name="channel"/> is empty).</summary>
    public void SetVariable(string channel, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentException.ThrowIfNullOrEmpty(name);
        _variables[(channel.ToUpperInvariant(), name)] = value ?? "";
        NotifyChanged();
    }

    /// <summary>A new unique id in Asterisk's form (<c>&lt;epoch&gt;.&lt;n&gt;</c>), never repeated on this server.</summary>
    public string NewUniqueId() => NextUniqueId();

    /// <summary>A new channel name for a device, as Asterisk numbers them (<c>PJSIP/100</c> gives <c>PJSIP/100-0000000a</c>; a Local channel gets <c>;1</c>).</summary>
    public string NewChannelName(string device)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        long sequence = NextChannelSequence();
        return device.StartsWith("Local/", StringComparison.OrdinalIgnoreCase) ? $"{device}-{sequence:x8};1" : $"{device}-{sequence:x8}";
    }

    /// <summary>Removes the simulated channel named <paramref name="name"/> (case-insensitive); false when there is none.</summary>
    public bool RemoveChannel(string name)
    {
        bool removed;
        lock (_gate)
        {
            removed = _channels.RemoveAll(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)) > 0;
        }
        if (removed)
        {
            NotifyChanged();
        }
        return removed;
    }

    /// <summary>Forgets the actions received so far by the server (each session's own list is kept).</summary>
    public void ClearReceivedActions()
    {
        lock (_gate)
        {
            _received.Clear();
        }
    }

    /// <summary>
    /// Emits an event as Asterisk's manager_event does: to every logged-in session whose read permission and event mask
    /// include the event's class (from its <c>Privilege</c> header; an event without one reaches every logged-in session)
    /// and whose Filter regexes let it through.
    /// </summary>
    /// <returns>The number of sessions it was queued to.</returns>
    public ValueTask<int> EmitEventAsync(AmiMessage evt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evt);
        return BroadcastAsync(evt.ToWireBytes(), FakeAmiPermissionsText.ParseEventClass(evt["Privilege"]), cancellationToken);
    }

    /// <summary>Emits an event built from header pairs (first <c>Event</c>, then usually <c>Privilege</c>); see <see cref="EmitEventAsync(AmiMessage, CancellationToken)"/>.</summary>
    public ValueTask<int> EmitEventAsync(params (string Name, string Value)[] headers) => EmitEventAsync(AmiMessage.Create(headers));

    /// <summary>Emits an event to the chosen sessions only, with the same login and event-mask rules as <see cref="EmitEventAsync(AmiMessage, CancellationToken)"/>. (<see cref="FakeAmiSession.SendAsync"/> ignores the mask.)</summary>
    public async ValueTask<int> EmitEventAsync(AmiMessage evt, IEnumerable<FakeAmiSession> sessions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(sessions);
        var bytes = evt.ToWireBytes();
        var eventClass = FakeAmiPermissionsText.ParseEventClass(evt["Privilege"]);
        int count = 0;
        foreach (var session in sessions)
        {
            if (session.WantsEvent(eventClass) && session.PassesFilters(bytes) && await session.EnqueueAsync(bytes, cancellationToken).ConfigureAwait(false))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>Writes raw bytes (no checks at all) to one session, or to every logged-in session when <paramref name="session"/> is null.</summary>
    /// <returns>The number of sessions written to.</returns>
    public async ValueTask<int> EmitRawAsync(ReadOnlyMemory<byte> bytes, FakeAmiSession? session = null, CancellationToken cancellationToken = default)
    {
        int count = 0;
        foreach (var target in session is null ? Sessions.Where(s => s.IsAuthenticated) : [session])
        {
            if (await target.EnqueueAsync(bytes, cancellationToken).ConfigureAwait(false))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>
    /// Floods <paramref name="count"/> events, cycling through the frames of <paramref name="templateFrames"/> (whole frames in
    /// wire form, each ending with a blank line, e.g. from <see cref="FakeEventTemplates.FromCapture"/>), to one session or to
    /// every logged-in session when <paramref name="session"/> is null. The bytes are prepared once and written in large
    /// batches by each session's writer (other frames wait until the flood is written; event masks are not applied).
    /// </summary>
    /// <returns>The bytes written to each session.</returns>
    /// <exception cref="IOException">A target session closed before the flood was written.</exception>
    public async Task<long> FloodEventsAsync(FakeAmiSession? session, ReadOnlyMemory<byte> templateFrames, int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var plan = FloodPlan.Create(templateFrames);
        var targets = session is null ? Sessions.Where(s => s.IsAuthenticated).ToArray() : [session];
        await Task.WhenAll(targets.Select(t => t.RunOnWriterAsync((stream, token) => plan.WriteAsync(stream, count, t, Options.WriteTimeout, token), cancellationToken))).ConfigureAwait(false);
        return plan.BytesFor(count);
    }

    /// <summary>Floods <paramref name="count"/> events cycling through <paramref name="templates"/>; see <see cref="FloodEventsAsync(FakeAmiSession?, ReadOnlyMemory{byte}, int, CancellationToken)"/>.</summary>
    public Task<long> FloodEventsAsync(FakeAmiSession? session, IReadOnlyList<AmiMessage> templates, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(templates);
        var bytes = new MemoryStream();
        foreach (var t in templates)
        {
            bytes.Write(t.ToWireBytes());
        }
        return FloodEventsAsync(session, bytes.ToArray(), count, cancellationToken);
    }

    /// <summary>Waits until at least <paramref name="count"/> sessions are connected; returns them.</summary>
    /// <exception cref="TimeoutException">Not reached within <paramref name="timeout"/> (default <see cref="DefaultWaitTimeout"/>).</exception>
    public Task<IReadOnlyList<FakeAmiSession>> WaitForSessionsAsync(int count, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync(() => Sessions is { } s && s.Count >= count ? s : null, $"{count} connected session(s)", timeout, cancellationToken);

    /// <summary>Waits until at least <paramref name="count"/> connected sessions have logged in; returns them.</summary>
    /// <exception cref="TimeoutException">Not reached within <paramref name="timeout"/>.</exception>
    public Task<IReadOnlyList<FakeAmiSession>> WaitForLoginsAsync(int count, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync(() => Sessions.Where(s => s.IsAuthenticated).ToArray() is { } s && s.Length >= count ? (IReadOnlyList<FakeAmiSession>)s : null,
            $"{count} logged-in session(s)", timeout, cancellationToken);

    /// <summary>Waits for the first action named <paramref name="actionName"/> (and matching <paramref name="match"/>) received by any session, already or later.</summary>
    /// <exception cref="TimeoutException">None arrived within <paramref name="timeout"/>.</exception>
    public Task<FakeReceivedAction> WaitForActionAsync(string actionName, Func<AmiMessage, bool>? match = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync(() => ReceivedActions.FirstOrDefault(a => a.Is(actionName) && (match is null || match(a.Message))), $"action '{actionName}'", timeout, cancellationToken);

    /// <summary>Waits until at least <paramref name="count"/> actions named <paramref name="actionName"/> have been received; returns all of them.</summary>
    /// <exception cref="TimeoutException">Not reached within <paramref name="timeout"/>.</exception>
    public Task<IReadOnlyList<FakeReceivedAction>> WaitForActionCountAsync(string actionName, int count, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync(() => ReceivedActions.Where(a => a.Is(actionName)).ToArray() is { } a && a.Length >= count ? (IReadOnlyList<FakeReceivedAction>)a : null,
            $"{count} action(s) '{actionName}'", timeout, cancellationToken);

    /// <summary>Waits until <paramref name="condition"/> holds; it is re-checked whenever sessions, actions or channels change, and every 50 ms.</summary>
    /// <exception cref="TimeoutException">Not reached within <paramref name="timeout"/>.</exception>
    public Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return WaitForAsync(() => condition() ? this : null, "the condition", timeout, cancellationToken);
    }

    /// <summary>
    /// Stops listening and closes every session gracefully (after a <c>Shutdown</c> event when <paramref name="sendShutdownEvent"/>),
    /// keeping the port so <see cref="StartAgainAsync"/> can listen on it again.
    /// </summary>
    public Task StopAsync(bool sendShutdownEvent = true) => StopCoreAsync(sendShutdownEvent, restart: false);

    /// <summary>Listens again on the port it had (after <see cref="StopAsync"/>), as a restarted Asterisk would.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await StartListeningAsync(retryWhilePortInUse: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Restarts on the same port: a <c>Shutdown</c> event (<c>Restart: True</c>), all sessions closed, <paramref name="downtime"/>, then listening again.</summary>
    public async Task RestartAsync(TimeSpan downtime = default, CancellationToken cancellationToken = default)
    {
        await StopCoreAsync(sendShutdownEvent: true, restart: true).ConfigureAwait(false);
        if (downtime > TimeSpan.Zero)
        {
            await Task.Delay(downtime, cancellationToken).ConfigureAwait(false);
        }
        await StartAgainAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the server (no Shutdown event), closes every session and waits for all its tasks.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        await StopCoreAsync(sendShutdownEvent: false, restart: false).ConfigureAwait(false);
        _disposed = true;
        if (_ownsCertificate)
        {
            Certificate?.Dispose();
        }
    }

    /// <summary>Prints the endpoint and counts.</summary>
    public override string ToString() => $"FakeAsteriskServer({EndPoint}, {(IsRunning ? "running" : "stopped")}, {_sessions.Count} sessions)";

    // ---- internals used by sessions and built-in actions ----

    internal void NotifyChanged()
    {
        var previous = Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }

    internal async Task<T> WaitForAsync<T>(Func<T?> probe, string what, TimeSpan? timeout, CancellationToken cancellationToken)
        where T : class
    {
        var limit = timeout ?? DefaultWaitTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var signal = Volatile.Read(ref _changed).Task;
            if (probe() is { } result)
            {
                return result;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"The fake Asterisk did not see {what} within {limit.TotalSeconds:0.###} s.");
            }
            var slice = left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50);
            try
            {
                await signal.WaitAsync(slice, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Re-check: conditions may depend on things that do not signal (a channel's age, a client's state).
            }
        }
    }

    internal FakeReceivedAction Record(int sessionId, string name, AmiMessage message)
    {
        lock (_gate)
        {
            var record = new FakeReceivedAction(sessionId, name, message, ++_sequence, DateTimeOffset.UtcNow);
            _received.Enqueue(record);
            while (_received.Count > Options.MaxRecordedActions)
            {
                _received.Dequeue();
            }
            return record;
        }
    }

    internal void RecordHandlerError(Exception ex)
    {
        lock (_gate)
        {
            _handlerErrors.Add(ex);
        }
    }

    internal Registration? FindHandler(string action) => _handlers.TryGetValue(action, out var r) ? r : null;

    internal async ValueTask<int> BroadcastAsync(byte[] frame, FakeAmiPermissions eventClass, CancellationToken cancellationToken)
    {
        int count = 0;
        foreach (var session in _sessions.Values)
        {
            if (session.WantsEvent(eventClass) && session.PassesFilters(frame) && await session.EnqueueAsync(frame, cancellationToken).ConfigureAwait(false))
            {
                count++;
            }
        }
        return count;
    }

    internal void RunInBackground(Func<CancellationToken, Task> work)
    {
        long id = Interlocked.Increment(ref _backgroundId);
        CancellationToken token;
        try
        {
            token = _lifetimeCts.Token;
        }
        catch (ObjectDisposedException)
        {
            return; // the server is restarting: work of the old run is dropped, as a restart drops calls
        }
        var task = Task.Run(async () =>
        {
            try
            {
                await work(token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Cancelled by a stop, or the sessions went away: background work (e.g. an OriginateResponse) is dropped like a call that never ends.
            }
            finally
            {
                _background.TryRemove(id, out _);
            }
        }, CancellationToken.None);
        _background.TryAdd(id, task);
        if (task.IsCompleted)
        {
            _background.TryRemove(id, out _);
        }
    }

    internal long NextChannelSequence() => Interlocked.Increment(ref _channelSequence) - 1;

    internal string NextUniqueId() =>
        $"{StartedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}.{(Interlocked.Increment(ref _uniqueSequence) - 1).ToString(CultureInfo.InvariantCulture)}";

    internal void OnSessionClosed(FakeAmiSession session)
    {
        _sessions.TryRemove(session.Id, out _);
        NotifyChanged();
    }

    // A restart on the same port must not wait for the old connections' TIME_WAIT: SO_REUSEADDR alone allows that on
    // Unix. .NET's ReuseAddress option also sets SO_REUSEPORT there, which lets a second server listen on a port already in
    // use and the kernel share connections between the two, so it is not used.
    private static void AllowRebindAfterClose(Socket listener)
    {
        if (OperatingSystem.IsLinux())
        {
            listener.SetRawSocketOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
        }
        else if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            listener.SetRawSocketOption(0xFFFF /* SOL_SOCKET */, 0x4 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
        }
    }

    // After a stop, the old port may take a moment to be free again (connections closing): retry for a while.
    private async Task StartListeningAsync(bool retryWhilePortInUse, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_running)
            {
                return;
            }
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (true)
            {
                var listener = new Socket(Options.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    AllowRebindAfterClose(listener);
                    listener.Bind(new IPEndPoint(Options.Address, Port));
                    listener.Listen(512);
                    _listener = listener;
                    break;
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && retryWhilePortInUse && DateTime.UtcNow < deadline)
                {
                    listener.Dispose();
                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    listener.Dispose();
                    throw;
                }
            }
            Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
            if (_lifetimeCts.IsCancellationRequested)
            {
                _lifetimeCts.Dispose();
                _lifetimeCts = new CancellationTokenSource();
            }
            _running = true;
            var listenerSocket = _listener;
            var lifetime = _lifetimeCts.Token;
            _acceptLoop = Task.Run(() => AcceptLoopAsync(listenerSocket, lifetime), CancellationToken.None);
        }
        finally
        {
            _lifecycle.Release();
        }
        NotifyChanged();
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken lifetime)
    {
        while (!lifetime.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(lifetime).ConfigureAwait(false);
            }
            catch (Exception) when (lifetime.IsCancellationRequested || !Volatile.Read(ref _running))
            {
                return;
            }
            catch (SocketException)
            {
                // A connection reset before accept completed, or a transient shortage (file descriptors): try again shortly.
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _connectionCount);
            int unauthenticated = _sessions.Values.Count(s => !s.IsAuthenticated && s.IsConnected);
            if (Faults.TakeCloseBeforeBanner() || unauthenticated >= Options.AuthLimit)
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException)
                {
                    // The client is already gone.
                }
                socket.Dispose();
                NotifyChanged();
                continue;
            }
            FakeAmiSession session;
            try
            {
                session = new FakeAmiSession(this, Interlocked.Increment(ref _nextSessionId), socket, lifetime);
            }
            catch (Exception)
            {
                socket.Dispose(); // the client vanished before its endpoints could be read
                continue;
            }
            _sessions[session.Id] = session;
            var task = Task.Run(session.RunAsync, CancellationToken.None);
            _sessionTasks[session.Id] = task;
            _ = task.ContinueWith(t => _sessionTasks.TryRemove(session.Id, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            NotifyChanged();
        }
    }

    private async Task StopCoreAsync(bool sendShutdownEvent, bool restart)
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_running)
            {
                return;
            }
            Volatile.Write(ref _running, false);
            _listener?.Dispose();
            _listener = null;
            await _acceptLoop.ConfigureAwait(false);
            if (sendShutdownEvent)
            {
                var shutdown = new FrameBuilder().Add("Event", "Shutdown").Add("Privilege", "system,all").Add("Shutdown", "Cleanly")
                    .Add("Restart", restart ? "True" : "False").End();
                await BroadcastAsync(shutdown, FakeAmiPermissions.System, CancellationToken.None).ConfigureAwait(false);
            }
            var closing = Task.WhenAll(_sessions.Values.Select(s => s.CloseAsync()));
            try
            {
                await closing.WaitAsync(SessionCloseTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await Task.WhenAll(_sessions.Values.Select(s => s.AbortAsync())).ConfigureAwait(false);
            }
            _lifetimeCts.Cancel();
            await Task.WhenAll(_sessionTasks.Values.Concat(_background.Values)).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
        NotifyChanged();
    }

    internal sealed record Registration(FakeActionHandler Handler, FakeAmiPermissions Required);

    private sealed class Unregister(FakeAsteriskServer server, string name, Registration registration) : IDisposable
    {
        public void Dispose() => server._handlers.TryRemove(new KeyValuePair<string, Registration>(name, registration));
    }
}
