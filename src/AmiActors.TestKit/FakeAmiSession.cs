using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using AmiActors.Protocol;
using AmiActors.TestKit.Internal;

namespace AmiActors.TestKit;

/// <summary>
/// One client connection to the <see cref="FakeAsteriskServer"/>. One read loop handles one action at a time (as
/// Asterisk does); one writer serializes every frame, so responses and events never interleave mid-frame.
/// Thread-safe.
/// </summary>
public sealed class FakeAmiSession
{
    /// <summary>Most header lines in one action (Asterisk's AST_MAX_MANHEADERS).</summary>
    public const int MaxLines = 128;

    private static readonly TimeSpan TlsHandshakeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan GracefulCloseTimeout = TimeSpan.FromSeconds(2);

    private readonly FakeAsteriskServer _server;
    private readonly Socket _socket;
    private readonly SessionWriter _writer;
    private readonly CancellationTokenSource _readCts = new();
    private readonly CancellationTokenSource _lifetimeCts;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<FakeReceivedAction> _received = new();
    private readonly List<(System.Text.RegularExpressions.Regex Regex, bool Exclude)> _filters = [];
    private readonly Lock _gate = new();
    private volatile bool _authenticated;
    private volatile bool _silent;
    private volatile bool _aborted;
    private volatile bool _readLoopEnded;
    private int _eventMask = (int)FakeAmiPermissions.All;
    private int _readPermissions;
    private int _writePermissions;
    private string? _username;
    private TimeSpan? _responseDelay;
    private bool? _byteByByte;

    internal FakeAmiSession(FakeAsteriskServer server, int id, Socket socket, CancellationToken serverLifetime)
    {
        _server = server;
        _socket = socket;
        Id = id;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        IsTls = server.Certificate is not null;
        ConnectedAt = DateTimeOffset.UtcNow;
        _writer = new SessionWriter(() => _byteByByte ?? server.Faults.DeliverByteByByte);
        _lifetimeCts = CancellationTokenSource.CreateLinkedTokenSource(serverLifetime);
        _lifetimeCts.Token.Register(() => TryCancel(_readCts));
        SessionIdText = "0x" + (0x7f3a00000000L + (id * 0x1000L)).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The session's number on this server, from 1, in accept order.</summary>
    public int Id { get; }

    /// <summary>The client's address and port.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The server's address and port for this connection.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>True when the session runs over TLS.</summary>
    public bool IsTls { get; }

    /// <summary>When the connection was accepted.</summary>
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>True after a successful Login.</summary>
    public bool IsAuthenticated => _authenticated;

    /// <summary>The user that logged in, or null.</summary>
    public string? Username => Volatile.Read(ref _username);

    /// <summary>The classes of events the session asked for (Login <c>Events:</c>, the Events action); all by default.</summary>
    public FakeAmiPermissions EventMask => (FakeAmiPermissions)Volatile.Read(ref _eventMask);

    /// <summary>The logged-in user's read permissions (None before login).</summary>
    public FakeAmiPermissions ReadPermissions => (FakeAmiPermissions)Volatile.Read(ref _readPermissions);

    /// <summary>The logged-in user's write permissions (None before login).</summary>
    public FakeAmiPermissions WritePermissions => (FakeAmiPermissions)Volatile.Read(ref _writePermissions);

    /// <summary>True until the connection has closed.</summary>
    public bool IsConnected => !_closed.Task.IsCompleted;

    /// <summary>Completes when the connection has closed and the session's tasks have ended.</summary>
    public Task Completion => _closed.Task;

    /// <summary>Bytes written to this client so far (banner included).</summary>
    public long BytesWritten => _writer.BytesWritten;

    /// <summary>The actions this session sent, in order (a snapshot).</summary>
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

    /// <summary>True while the session is silenced by <see cref="StopAnswering"/> (or the server-wide fault).</summary>
    public bool IsSilent => _silent || _server.Faults.Silent;

    /// <summary>Delay before each response of this session (overrides <see cref="FakeAsteriskFaults.ResponseDelay"/>); null to follow the server.</summary>
    public TimeSpan? ResponseDelay
    {
        get => _responseDelay;
        set => _responseDelay = value;
    }

    /// <summary>True to write this session's bytes one at a time (overrides <see cref="FakeAsteriskFaults.DeliverByteByByte"/>); null to follow the server.</summary>
    public bool? DeliverByteByByte
    {
        get => _byteByByte;
        set => _byteByByte = value;
    }

    internal string SessionIdText { get; }

    internal string? Challenge { get; set; }

    /// <summary>
    /// Fault: the session keeps its connection and keeps reading (actions are still recorded) but writes nothing
    /// more, neither responses nor events, until <see cref="ResumeAnswering"/>. Explicit raw writes still go out.
    /// </summary>
    public void StopAnswering() => _silent = true;

    /// <summary>Ends <see cref="StopAnswering"/>. Actions received while silent stay unanswered.</summary>
    public void ResumeAnswering() => _silent = false;

    /// <summary>
    /// Fault: holds this session's writer until the returned handle is disposed. Everything queued meanwhile (responses,
    /// events, raw bytes) is then written together, in one write when it fits 64 KiB, as a busy server's output reaches a
    /// client in one read (for example a login response followed by hundreds of events).
    /// </summary>
    public IDisposable HoldWrites()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = _writer.RunAsync((_, token) => release.Task.WaitAsync(token), CancellationToken.None)
            .ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return new WriteHold(release);
    }

    private sealed class WriteHold(TaskCompletionSource release) : IDisposable
    {
        public void Dispose() => release.TrySetResult();
    }

    /// <summary>Writes a frame (response or event) to this session, whatever its event mask. Nothing happens once closed.</summary>
    public ValueTask SendAsync(AmiMessage frame, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return SendRawAsync(frame.ToWireBytes(), cancellationToken);
    }

    /// <summary>Writes an event built from header pairs (the first should be <c>Event</c>) to this session, whatever its event mask.</summary>
    public ValueTask SendEventAsync(params (string Name, string Value)[] headers) => SendAsync(AmiMessage.Create(headers));

    /// <summary>Writes raw bytes to this session, as they are (garbage, partial frames...). Nothing happens once closed.</summary>
    public async ValueTask SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        await _writer.EnqueueAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes when everything queued for this session so far has reached the socket (or the session closed).</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => _writer.FlushAsync(cancellationToken);

    /// <summary>Closes the connection gracefully: what is queued is written, then FIN. Completes when closed.</summary>
    public Task CloseAsync()
    {
        TryCancel(_readCts);
        return Completion;
    }

    /// <summary>Drops the connection at once with a TCP reset (no FIN, queued bytes lost). Completes when closed.</summary>
    public Task AbortAsync()
    {
        Abort();
        return Completion;
    }

    private void Abort()
    {
        _aborted = true;
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception)
        {
            // Already closed.
        }
        _socket.Close();
        TryCancel(_readCts);
        TryCancel(_lifetimeCts);
    }

    private static void TryCancel(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session has already closed.
        }
    }

    /// <summary>Waits for an action named <paramref name="name"/> from this session (already received or arriving later).</summary>
    public Task<FakeReceivedAction> WaitForActionAsync(string name, Func<AmiMessage, bool>? match = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _server.WaitForAsync(() => ReceivedActions.FirstOrDefault(a => a.Is(name) && (match is null || match(a.Message))),
            $"action '{name}' from session {Id}", timeout, cancellationToken);

    /// <summary>Prints id, endpoint and state.</summary>
    public override string ToString() => $"FakeAmiSession({Id}, {RemoteEndPoint}, {(IsAuthenticated ? "user " + Username : "not logged in")}{(IsConnected ? "" : ", closed")})";

    /// <summary>The Filter expressions the session added (<c>!</c> prefix for exclusions), in order.</summary>
    public IReadOnlyList<string> Filters
    {
        get
        {
            lock (_gate)
            {
                return _filters.Select(f => f.Exclude ? "!" + f.Regex : f.Regex.ToString()).ToArray();
            }
        }
    }

    internal bool AddFilter(string expression)
    {
        bool exclude = expression.StartsWith('!');
        try
        {
            var regex = new System.Text.RegularExpressions.Regex(exclude ? expression[1..] : expression,
                System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            lock (_gate)
            {
                _filters.Add((regex, exclude));
            }
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // Asterisk's match_filter: with include filters an event must match one; with exclude filters it must match none.
    internal bool PassesFilters(byte[] frame)
    {
        (System.Text.RegularExpressions.Regex Regex, bool Exclude)[] filters;
        lock (_gate)
        {
            if (_filters.Count == 0)
            {
                return true;
            }
            filters = _filters.ToArray();
        }
        string text = Encoding.UTF8.GetString(frame);
        bool anyInclude = false, included = false;
        foreach (var (regex, exclude) in filters)
        {
            bool hit = regex.IsMatch(text);
            if (exclude && hit)
            {
                return false;
            }
            if (!exclude)
            {
                anyInclude = true;
                included |= hit;
            }
        }
        return !anyInclude || included;
    }

    internal bool WantsEvent(FakeAmiPermissions eventClass)
    {
        if (!_authenticated || IsSilent || !IsConnected)
        {
            return false;
        }
        int c = (int)eventClass;
        return (Volatile.Read(ref _readPermissions) & c) == c && (Volatile.Read(ref _eventMask) & c) == c;
    }

    internal ValueTask<bool> EnqueueAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) => _writer.EnqueueAsync(bytes, cancellationToken);

    internal Task RunOnWriterAsync(Func<Stream, CancellationToken, Task> work, CancellationToken cancellationToken) => _writer.RunAsync(work, cancellationToken);

    internal void CountWritten(long bytes) => _writer.CountWritten(bytes);

    internal void SetEventMask(FakeAmiPermissions mask) => Volatile.Write(ref _eventMask, (int)mask);

    internal void MarkAuthenticated(FakeAmiUser user)
    {
        Volatile.Write(ref _username, user.Username);
        Volatile.Write(ref _readPermissions, (int)user.Read);
        Volatile.Write(ref _writePermissions, (int)user.Write);
        _authenticated = true;
        _server.NotifyChanged();
    }

    /// <summary>
    /// Runs the session on its own two threads, as Asterisk runs each session on a thread of its own: the read thread reads
    /// and runs actions and writes their responses; the write thread writes everything else (events, floods). Both block in
    /// socket calls, so the fake server takes nothing from the thread pool on a request's path. Completes when closed.
    /// </summary>
    internal Task RunAsync()
    {
        var thread = new Thread(RunSession, ThreadStackSize)
        {
            IsBackground = true,
            Name = $"fake-ami-session-{Id}",
        };
        thread.Start();
        return _closed.Task;
    }

    private const int ThreadStackSize = 256 * 1024;

    private void RunSession()
    {
        Stream? stream = null;
        Thread? writerThread = null;
        // Cancelling the read (CloseAsync, the auth timeout, server stop) shuts the socket's receiving side, which ends a blocked read.
        var stopReading = _readCts.Token.Register(ShutdownReceive);
        try
        {
            _socket.NoDelay = true;
            if (_server.Options.WriteTimeout is { } writeTimeout)
            {
                // Asterisk's writetimeout: a write that cannot complete in time means a client that stopped reading.
                _socket.SendTimeout = (int)Math.Max(1, writeTimeout.TotalMilliseconds);
            }
            stream = new NetworkStream(_socket, ownsSocket: false);
            if (_server.Certificate is { } certificate)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                _socket.ReceiveTimeout = (int)TlsHandshakeTimeout.TotalMilliseconds;
                ssl.AuthenticateAsServer(certificate, clientCertificateRequired: false, System.Security.Authentication.SslProtocols.None, checkCertificateRevocation: false);
                _socket.ReceiveTimeout = 0;
            }
            var writeStream = stream;
            writerThread = new Thread(() => RunWriter(writeStream), ThreadStackSize)
            {
                IsBackground = true,
                Name = $"fake-ami-session-{Id}-writer",
            };
            writerThread.Start();
            // The banner and whatever the faults add after it leave in one write, so the client reads them together.
            byte[] banner = Encoding.ASCII.GetBytes($"Asterisk Call Manager/{_server.Options.AmiVersion}\r\n");
            Wait(_writer.EnqueueAsync(banner.Concat(_server.Faults.BytesAfterBanner.ToArray()).ToArray()));
            using var authTimer = new CancellationTokenSource(_server.Options.AuthTimeout);
            using var registration = authTimer.Token.Register(() =>
            {
                if (!_authenticated)
                {
                    TryCancel(_readCts);
                }
            });
            ReadLoop(stream);
        }
        catch (Exception)
        {
            // Connection failures (reset, handshake failure, cancellation) end the session; they are not errors of the server.
        }
        finally
        {
            stopReading.Dispose();
            Close(stream, writerThread);
        }
    }

    private void Close(Stream? stream, Thread? writerThread)
    {
        _readLoopEnded = true;
        _writer.Complete();
        bool written = writerThread is null || (!_aborted && writerThread.Join(GracefulCloseTimeout));
        if (!_aborted && written && stream is SslStream tls)
        {
            try
            {
                tls.ShutdownAsync().Wait(GracefulCloseTimeout);
            }
            catch (Exception)
            {
                // The peer is gone or not reading: FIN follows anyway.
            }
        }
        TryCancel(_lifetimeCts);
        if (!written)
        {
            // The client stopped reading (or the session was aborted): give up on what is queued. Closing the socket ends a
            // blocked write.
            _socket.Close();
        }
        writerThread?.Join();
        try
        {
            if (!_aborted && written)
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception)
        {
            // Already reset by the peer.
        }
        _socket.Close();
        if (stream is not null)
        {
            try
            {
                stream.Dispose();
            }
            catch (Exception)
            {
                // Disposing a broken SslStream may throw; the socket is closed anyway.
            }
        }
        _readCts.Dispose();
        _closed.TrySetResult();
        _server.OnSessionClosed(this);
        _lifetimeCts.Dispose();
    }

    private void ShutdownReceive()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception)
        {
            // Already closed or reset.
        }
    }

    // When the writer stops on its own (write error, write timeout), the connection is dead: drop it as Asterisk does.
    private void RunWriter(Stream stream)
    {
        _writer.WriteLoop(stream, _lifetimeCts.Token);
        if (!_readLoopEnded)
        {
            Abort();
        }
    }

    // Blocks the session's thread until an operation that rarely waits (a full queue, a handler, a delay) has completed.
    private static T Wait<T>(ValueTask<T> pending) => pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    private static void Wait(ValueTask pending)
    {
        if (!pending.IsCompletedSuccessfully)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }

    private void ReadLoop(Stream stream)
    {
        var reader = new AsteriskLineReader();
        var buffer = new byte[16 * 1024];
        int start = 0, end = 0;
        var frame = new FrameAccumulator();
        var token = _readCts.Token;
        while (true)
        {
            while (frame.TakeLines(reader))
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }
                bool keepGoing = true;
                if (frame.HeaderLoss)
                {
                    Wait(WriteParseErrorAsync(frame.ToMessage(), "Too many lines in message or allocation failure"));
                }
                else if (reader.LineTooLong)
                {
                    Wait(WriteParseErrorAsync(frame.ToMessage(), "Failed to parse message: line too long"));
                    reader.LineTooLong = false;
                }
                else
                {
                    // Responses wait in the writer while the action runs, and leave together with those of the actions still
                    // buffered; an action that has to wait (a delay, a handler, sync Originate) lets them go before it waits.
                    _writer.Cork();
                    var run = ProcessMessageAsync(frame.ToMessage(), frame.LineCount);
                    if (!run.IsCompleted)
                    {
                        _writer.Uncork(stream, writeHere: false);
                    }
                    keepGoing = Wait(run);
                }
                frame.Reset();
                if (!keepGoing)
                {
                    _writer.Uncork(stream, writeHere: false);
                    return;
                }
            }
            if (start == end)
            {
                // Nothing more buffered: write the responses from here, as Asterisk's session thread does, then wait for input.
                _writer.Uncork(stream, writeHere: true);
                int n = stream.Read(buffer);
                if (n == 0 || token.IsCancellationRequested)
                {
                    return;
                }
                start = 0;
                end = n;
            }
            start += reader.Fill(buffer.AsSpan(start, end - start));
        }
    }

    /// <summary>Collects the lines of one action (at most <see cref="MaxLines"/>, like Asterisk's message struct).</summary>
    private sealed class FrameAccumulator
    {
        private readonly ArrayBufferWriter<byte> _bytes = new(1024);

        public int LineCount { get; private set; }

        public bool HeaderLoss { get; private set; }

        // Takes lines until the blank line that ends an action (true) or until more input is needed (false).
        public bool TakeLines(AsteriskLineReader reader)
        {
            while (reader.TryReadLine(out var line))
            {
                if (line.IsEmpty)
                {
                    return true;
                }
                if (LineCount < MaxLines)
                {
                    _bytes.Write(line);
                    _bytes.Write("\r\n"u8);
                    LineCount++;
                }
                else
                {
                    HeaderLoss = true;
                }
            }
            return false;
        }

        public AmiMessage ToMessage() => AmiMessage.FromFrame(_bytes.WrittenSpan);

        public void Reset()
        {
            _bytes.ResetWrittenCount();
            LineCount = 0;
            HeaderLoss = false;
        }
    }

    private async ValueTask WriteParseErrorAsync(AmiMessage message, string error)
    {
        if (IsSilent)
        {
            return;
        }
        await _writer.EnqueueAsync(FrameBuilder.Response("Error", HeaderValue(message, "ActionID"), error)).ConfigureAwait(false);
    }

    // Runs one action; false when the session must close (Logoff, failed login, a handler's request).
    private async ValueTask<bool> ProcessMessageAsync(AmiMessage message, int lineCount)
    {
        string action = ActionNameOf(message);
        // Decided on receipt, before the action is visible to WaitForActionAsync: an action received while silent stays
        // unanswered even when the test resumes answering as soon as it sees the action.
        bool silent = IsSilent;
        if (lineCount > 0)
        {
            var record = _server.Record(Id, action, message);
            lock (_gate)
            {
                _received.Enqueue(record);
                while (_received.Count > _server.Options.MaxRecordedActions)
                {
                    _received.Dequeue();
                }
            }
            _server.NotifyChanged();
        }
        if (silent)
        {
            return true;
        }
        var delay = _responseDelay ?? _server.Faults.ResponseDelay;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _readCts.Token).ConfigureAwait(false);
        }
        string? actionId = HeaderValue(message, "ActionID");
        if (action.Length == 0)
        {
            await _writer.EnqueueAsync(FrameBuilder.Response("Error", actionId, "Missing action in request")).ConfigureAwait(false);
            return true;
        }
        if (!_authenticated && !IsOneOf(action, "Login", "Logoff", "Challenge"))
        {
            await _writer.EnqueueAsync(FrameBuilder.Response("Error", actionId, "Permission denied")).ConfigureAwait(false);
            return true;
        }
        var context = new FakeActionContext(_server, this, message, action, _readCts.Token);
        var custom = _server.FindHandler(action);
        FakeAmiPermissions required = custom?.Required ?? BuiltInActions.RequiredPermission(action) ?? FakeAmiPermissions.None;
        if (custom is null && !BuiltInActions.IsKnown(action))
        {
            await _writer.EnqueueAsync(FrameBuilder.Response("Error", actionId, BuiltInActions.UnknownActionMessage(action))).ConfigureAwait(false);
            return true;
        }
        if (required != FakeAmiPermissions.None && ((int)WritePermissions & (int)required) == 0)
        {
            await _writer.EnqueueAsync(FrameBuilder.Response("Error", actionId, "Permission denied")).ConfigureAwait(false);
            return true;
        }
        if (custom is not null)
        {
            AmiMessage? reply;
            try
            {
                reply = await custom.Handler(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_readCts.IsCancellationRequested)
            {
                _server.RecordHandlerError(ex);
                reply = context.Error($"Fake Asterisk handler for '{action}' failed: {ex.GetType().Name}");
            }
            if (reply is not null)
            {
                await _writer.EnqueueAsync(reply.ToWireBytes()).ConfigureAwait(false);
            }
        }
        else
        {
            await BuiltInActions.TryRunAsync(context).ConfigureAwait(false);
        }
        return !context.CloseRequested;
    }

    /// <summary>The first header's value with leading blanks skipped (Asterisk's astman_get_header); null when absent.</summary>
    internal static string? HeaderValue(AmiMessage message, string name)
    {
        int i = message.IndexOf(name);
        return i < 0 ? null : message.ValueAt(i).TrimStart(' ', '\t');
    }

    // Asterisk reads the action name skipping empty Action headers.
    private static string ActionNameOf(AmiMessage message)
    {
        for (int i = message.IndexOf("Action"); i >= 0; i = message.IndexOf("Action", i + 1))
        {
            string value = message.ValueAt(i).TrimStart(' ', '\t');
            if (value.Length > 0)
            {
                return value;
            }
        }
        return "";
    }

    private static bool IsOneOf(string action, params string[] names) => names.Any(n => string.Equals(action, n, StringComparison.OrdinalIgnoreCase));
}
