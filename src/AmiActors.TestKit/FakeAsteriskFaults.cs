using System.Text;

namespace AmiActors.TestKit;

/// <summary>
/// Fault injection for a <see cref="FakeAsteriskServer"/>: the ways a real Asterisk, its network or its load
/// misbehave, on demand. Settings here apply to every session; per-session overrides live on <see cref="FakeAmiSession"/>.
/// Thread-safe.
/// </summary>
public sealed class FakeAsteriskFaults
{
    private readonly FakeAsteriskServer _server;
    private int _closeBeforeBanner;
    private volatile bool _refuseAll;
    private volatile bool _silent;
    private volatile bool _byteByByte;
    private long _responseDelayTicks;
    private byte[] _bytesAfterBanner = [];
    private byte[] _bytesWithLoginResponse = [];

    internal FakeAsteriskFaults(FakeAsteriskServer server) => _server = server;

    /// <summary>Delay before every response (events are not delayed); zero by default. Sessions may override it.</summary>
    public TimeSpan ResponseDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _responseDelayTicks));
        set => Interlocked.Exchange(ref _responseDelayTicks, value.Ticks);
    }

    /// <summary>
    /// Bytes every new session writes right after the banner, in the same write (a busy server whose first read holds more
    /// than the banner); empty by default.
    /// </summary>
    public ReadOnlyMemory<byte> BytesAfterBanner
    {
        get => Volatile.Read(ref _bytesAfterBanner);
        set => Volatile.Write(ref _bytesAfterBanner, value.ToArray());
    }

    /// <summary>
    /// Bytes written right after a successful login's <c>Response: Success</c>, in the same write (a busy server whose events
    /// start with the login: the client reads them in the same read as its login response); empty by default.
    /// </summary>
    public ReadOnlyMemory<byte> BytesWithLoginResponse
    {
        get => Volatile.Read(ref _bytesWithLoginResponse);
        set => Volatile.Write(ref _bytesWithLoginResponse, value.ToArray());
    }

    /// <summary>True to write every session's bytes one at a time (exercises a client's split-frame handling). Sessions may override it.</summary>
    public bool DeliverByteByByte
    {
        get => _byteByByte;
        set => _byteByByte = value;
    }

    /// <summary>True while every session is silenced (see <see cref="StopAnswering"/>).</summary>
    public bool Silent => _silent;

    /// <summary>True while every new connection is closed before the banner (see <see cref="RefuseConnections"/>).</summary>
    public bool RefusingConnections => _refuseAll;

    /// <summary>
    /// Every session, current and future, keeps its connection and keeps reading, but writes no responses and no events
    /// (a wedged server) until <see cref="ResumeAnswering"/>.
    /// </summary>
    public void StopAnswering() => _silent = true;

    /// <summary>Ends <see cref="StopAnswering"/>.</summary>
    public void ResumeAnswering() => _silent = false;

    /// <summary>Closes the next <paramref name="count"/> connections right after accept, before the banner (as Asterisk does past its authlimit).</summary>
    public void CloseBeforeBanner(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Interlocked.Add(ref _closeBeforeBanner, count);
    }

    /// <summary>While <paramref name="refuse"/> is true, every new connection is closed before the banner.</summary>
    public void RefuseConnections(bool refuse = true) => _refuseAll = refuse;

    /// <summary>Drops a session: <paramref name="graceful"/> true writes what is queued then closes with FIN; false resets at once (RST).</summary>
    public Task DropSessionAsync(FakeAmiSession session, bool graceful = false)
    {
        ArgumentNullException.ThrowIfNull(session);
        return graceful ? session.CloseAsync() : session.AbortAsync();
    }

    /// <summary>Drops every connected session (see <see cref="DropSessionAsync"/>).</summary>
    public Task DropAllSessionsAsync(bool graceful = false) =>
        Task.WhenAll(_server.Sessions.Select(s => DropSessionAsync(s, graceful)));

    /// <summary>
    /// Writes bytes that are not AMI (by default a NUL/0xFF soup, a line without a colon, stray CRs and a blank line) to a
    /// session, or to every logged-in session when <paramref name="session"/> is null.
    /// </summary>
    public ValueTask<int> SendGarbageAsync(FakeAmiSession? session = null, ReadOnlyMemory<byte>? bytes = null, CancellationToken cancellationToken = default)
    {
        var garbage = bytes ?? new byte[] { 0, 0xFF, 0xFE, (byte)'\r', (byte)'x' }.Concat("this line has no colon\r\n\r\r\n:\r\n\r\n"u8.ToArray()).ToArray();
        return _server.EmitRawAsync(garbage, session, cancellationToken);
    }

    /// <summary>
    /// Writes one well-formed event of about <paramref name="sizeBytes"/> bytes (a <c>Data</c> header holding a huge value)
    /// to test a client's frame-size cap; to a session, or every logged-in session when null.
    /// </summary>
    public ValueTask<int> SendOversizeFrameAsync(int sizeBytes, FakeAmiSession? session = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeBytes, 64);
        var head = "Event: Oversize\r\nPrivilege: user,all\r\nData: "u8;
        var frame = new byte[Math.Max(sizeBytes, head.Length + 5)];
        head.CopyTo(frame);
        frame.AsSpan(head.Length, frame.Length - head.Length - 4).Fill((byte)'x');
        "\r\n\r\n"u8.CopyTo(frame.AsSpan(frame.Length - 4));
        return _server.EmitRawAsync(frame, session, cancellationToken);
    }

    /// <summary>Whether to refuse this connection before the banner (consumes one of <see cref="CloseBeforeBanner"/>'s count).</summary>
    internal bool TakeCloseBeforeBanner()
    {
        if (_refuseAll)
        {
            return true;
        }
        while (true)
        {
            int n = Volatile.Read(ref _closeBeforeBanner);
            if (n <= 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _closeBeforeBanner, n - 1, n) == n)
            {
                return true;
            }
        }
    }

    /// <summary>Prints the active faults.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("FakeAsteriskFaults(");
        sb.Append("silent=").Append(_silent).Append(", byteByByte=").Append(_byteByByte).Append(", responseDelay=").Append(ResponseDelay)
          .Append(", refuse=").Append(_refuseAll).Append(", closeBeforeBanner=").Append(Volatile.Read(ref _closeBeforeBanner)).Append(')');
        return sb.ToString();
    }
}
