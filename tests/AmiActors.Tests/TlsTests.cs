using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AmiActors.Protocol;
using AmiActors.TestKit;
using AmiActors.Tests.Fault;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>TLS over the Akka.IO connection: validation by default, specific handshake errors, close_notify on a clean close.</summary>
public class TlsTests(ITestOutputHelper output) : FaultTestBase(output)
{
    private async Task<ConnectionStateChanged> FirstFailureAsync(AmiServerDefinition definition)
    {
        var states = StateProbe();
        await StartClientAsync(Fast(definition), waitConnected: false);
        return await NextStateAsync(states, AmiConnectionState.Reconnecting);
    }

    [Fact]
    public async Task A_self_signed_certificate_is_refused_by_default_with_a_chain_error_that_names_the_server()
    {
        var server = await StartServerAsync(new FakeAsteriskOptions { UseTls = true });
        var failure = await FirstFailureAsync(Definition(server) with { AcceptInvalidCertificate = false });

        Assert.StartsWith($"TLS handshake with 127.0.0.1:{server.Port} (server name '127.0.0.1') failed: certificate chain not trusted", failure.Reason);
        Assert.DoesNotContain("amp111", failure.Reason);
        Assert.Empty(server.ReceivedActions);
    }

    [Fact]
    public async Task A_certificate_issued_for_another_name_is_refused_with_a_name_mismatch()
    {
        var server = await StartServerAsync(new FakeAsteriskOptions { UseTls = true });
        var failure = await FirstFailureAsync(Definition(server) with { AcceptInvalidCertificate = false, TlsServerName = "pbx.example.com" });

        Assert.Contains("name mismatch: the certificate (CN=localhost, O=AmiActors.TestKit) is not for 'pbx.example.com'", failure.Reason);
        Assert.DoesNotContain("amp111", failure.Reason);
    }

    [Fact]
    public async Task A_server_that_does_not_speak_TLS_fails_the_handshake_as_a_protocol_error()
    {
        var server = await StartServerAsync();
        var failure = await FirstFailureAsync(Definition(server) with { UseTls = true, AcceptInvalidCertificate = true });

        Assert.StartsWith($"TLS handshake with 127.0.0.1:{server.Port} (server name '127.0.0.1') failed: protocol error", failure.Reason);
        Assert.DoesNotContain("amp111", failure.Reason);
    }

    [Fact]
    public async Task Removing_a_server_logs_off_and_sends_close_notify_before_the_tcp_close()
    {
        // A TLS 1.2 server of our own, recording the raw bytes it receives: in TLS 1.2 an alert travels in a record of its own
        // type (21) even once encrypted, so close_notify is visible on the wire.
        var certificateSource = await StartServerAsync(new FakeAsteriskOptions { UseTls = true });
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var serverTask = Task.Run(() => RunTls12ServerAsync(listener, certificateSource.Certificate!));
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var client = await StartClientAsync(Fast(new AmiServerDefinition("pbx1", "127.0.0.1", port, "admin", "amp111") { UseTls = true, AcceptInvalidCertificate = true }));
            Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);

            await client.RemoveServerAsync("pbx1");

            var (actions, records) = await serverTask.WaitAsync(Long);
            Assert.Equal(["Login", "Ping", "Logoff"], actions);
            Assert.Equal(21, records[^1]);
        }
        finally
        {
            listener.Stop();
        }
    }

    // Serves Login, Ping and Logoff over TLS 1.2, reads until the client's end of the stream; returns the actions seen and the
    // content type of every TLS record the client sent.
    private static async Task<(List<string> Actions, List<byte> RecordTypes)> RunTls12ServerAsync(TcpListener listener, X509Certificate2 certificate)
    {
        using var socket = await listener.AcceptSocketAsync();
        var raw = new RecordingStream(new NetworkStream(socket, ownsSocket: false));
        await using var ssl = new SslStream(raw);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, EnabledSslProtocols = SslProtocols.Tls12 });
        await ssl.WriteAsync("Asterisk Call Manager/11.0.0\r\n"u8.ToArray());
        var actions = new List<string>();
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            int n;
            try
            {
                n = await ssl.ReadAsync(buffer);
            }
            catch (IOException)
            {
                break;
            }
            if (n == 0)
            {
                break;
            }
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
            int end;
            while ((end = text.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
            {
                var frame = AmiMessage.Create(text.ToString(0, end).Split("\r\n").Select(l => (l[..l.IndexOf(':')], l[(l.IndexOf(':') + 1)..].Trim())).ToArray());
                text.Remove(0, end + 4);
                string name = frame.Get("Action")!;
                actions.Add(name);
                string reply = name switch
                {
                    "Login" => "Response: Success\r\nActionID: {0}\r\nMessage: Authentication accepted\r\n\r\n",
                    "Logoff" => "Response: Goodbye\r\nActionID: {0}\r\nMessage: Thanks for all the fish.\r\n\r\n",
                    _ => "Response: Success\r\nActionID: {0}\r\nPing: Pong\r\n\r\n",
                };
                await ssl.WriteAsync(Encoding.ASCII.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, reply, frame.ActionId)));
            }
        }
        return (actions, raw.RecordTypes());
    }

    /// <summary>A pass-through stream that keeps every byte read from the network.</summary>
    private sealed class RecordingStream(Stream inner) : Stream
    {
        private readonly MemoryStream _read = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public List<byte> RecordTypes()
        {
            var bytes = _read.ToArray();
            var types = new List<byte>();
            for (int i = 0; i + 5 <= bytes.Length; i += 5 + ((bytes[i + 3] << 8) | bytes[i + 4]))
            {
                types.Add(bytes[i]);
            }
            return types;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            _read.Write(buffer.Span[..n]);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            _read.Write(buffer, offset, n);
            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
