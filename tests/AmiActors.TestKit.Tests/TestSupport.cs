using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using AmiActors.Protocol;

namespace AmiActors.TestKit.Tests;

internal static class Fixtures
{
    public static string Path(string name) => AmiActors.Testing.CapturedFixtures.Fixture(name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path(name));

    /// <summary>The client's frames of a .sent.txt capture, each as its raw bytes up to and including its blank line.</summary>
    public static List<byte[]> SplitSent(byte[] sent)
    {
        var frames = new List<byte[]>();
        int start = 0;
        while (start < sent.Length)
        {
            int end = sent.AsSpan(start).IndexOf("\r\n\r\n"u8);
            int stop = end < 0 ? sent.Length : start + end + 4;
            frames.Add(sent[start..stop]);
            start = stop;
        }
        return frames;
    }
}

/// <summary>A raw AMI client on a real socket: writes bytes as given, collects every byte and frame the server sends.</summary>
internal sealed class RawAmiClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly MemoryStream _raw = new();
    private readonly List<AmiMessage> _frames = [];
    private readonly AmiParser _parser = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly Task _reader;
    private readonly CancellationTokenSource _cts = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RawAmiClient(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
        _reader = Task.Run(ReadLoopAsync);
    }

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static async Task<RawAmiClient> ConnectAsync(IPEndPoint endPoint, bool tls = false, Func<X509CertificateInfo, bool>? validate = null)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint);
        tcp.NoDelay = true;
        Stream stream = tcp.GetStream();
        if (tls)
        {
            var ssl = new SslStream(stream, false, (_, cert, _, errors) => validate?.Invoke(new X509CertificateInfo(cert?.GetCertHashString() ?? "", errors)) ?? true);
            await ssl.AuthenticateAsClientAsync("localhost");
            stream = ssl;
        }
        return new RawAmiClient(tcp, stream);
    }

    public IReadOnlyList<AmiMessage> Frames
    {
        get
        {
            lock (_gate)
            {
                return _frames.ToArray();
            }
        }
    }

    public byte[] RawBytes
    {
        get
        {
            lock (_gate)
            {
                return _raw.ToArray();
            }
        }
    }

    public bool IsClosed => _closed.Task.IsCompleted;

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public Task<IReadOnlyList<AmiMessage>> WaitForFramesAsync(int count) => WaitAsync(() => Frames.Count >= count, $"{count} frames");

    public async Task<AmiMessage> WaitForFrameAsync(Func<AmiMessage, bool> match, string what)
    {
        await WaitAsync(() => Frames.Any(match), what);
        return Frames.First(match);
    }

    public async Task<IReadOnlyList<AmiMessage>> WaitForCloseAsync()
    {
        await _closed.Task.WaitAsync(Timeout);
        return Frames;
    }

    /// <summary>Logs in as admin with the given extra headers and waits for the response.</summary>
    public async Task<AmiMessage> LoginAsync(string user = "admin", string secret = "amp111", string? events = null)
    {
        int before = Frames.Count;
        await SendAsync($"Action: Login\r\nActionID: login-x\r\nUsername: {user}\r\nSecret: {secret}\r\n{(events is null ? "" : $"Events: {events}\r\n")}\r\n");
        return await WaitForFrameAsync(f => f.ActionId == "login-x" && f.Kind == AmiMessageKind.Response, "the login response");
    }

    public async Task<IReadOnlyList<AmiMessage>> WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var signal = Volatile.Read(ref _changed).Task;
            if (condition())
            {
                return Frames;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Client did not see {what}; frames so far: {string.Join(" | ", Frames.Select(Describe))}");
            }
            try
            {
                await signal.WaitAsync(TimeSpan.FromMilliseconds(100));
            }
            catch (TimeoutException)
            {
            }
        }
    }

    public static string Describe(AmiMessage m) => m.Kind switch
    {
        AmiMessageKind.Banner => "banner " + m.BannerText,
        AmiMessageKind.Event => $"event {m.EventName} {m.ActionId}",
        _ => $"{m.Kind} {m.ResponseStatus} {m.ActionId} {m.ResponseMessage}",
    };

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await _stream.ReadAsync(buffer, _cts.Token);
                if (n == 0)
                {
                    break;
                }
                lock (_gate)
                {
                    _raw.Write(buffer, 0, n);
                    ReadOnlySpan<byte> input = buffer.AsSpan(0, n);
                    while (_parser.Read(ref input, out var message, out _) != AmiReadStatus.NeedMoreData)
                    {
                        if (message is not null)
                        {
                            _frames.Add(message);
                        }
                    }
                }
                Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
        catch (Exception)
        {
            // Reset or disposed: the connection is over.
        }
        _closed.TrySetResult();
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _tcp.Dispose();
        await _reader;
        _cts.Dispose();
    }
}

internal readonly record struct X509CertificateInfo(string Thumbprint, SslPolicyErrors Errors);
