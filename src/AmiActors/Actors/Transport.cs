using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace AmiActors.Actors;

/// <summary>
/// The small protocol between a connection actor and its transport (plain TCP over Akka.IO, or TLS over SslStream), shaped
/// after Akka.IO's own messages so the TCP transport can step off the hot path. The transport is a child of the connection
/// actor; it sends <see cref="Connected"/> naming the writer (Akka.IO's TcpConnection itself for TCP, the TLS transport for
/// TLS). The connection actor then sends <see cref="Tcp.Write"/> with <see cref="WriteAck"/> to the writer, one at a time,
/// and receives <see cref="Tcp.Received"/> from the writer. Any other <see cref="Tcp.Event"/> from the writer (a
/// <see cref="Tcp.ConnectionClosed"/>, a <see cref="Tcp.CommandFailed"/>) is forwarded to the transport, which ends with
/// exactly one <see cref="Closed"/> and stops.
/// </summary>
internal static class AmiTransport
{
    /// <summary>Where and how to connect.</summary>
    public sealed record Options(string Host, int Port, TimeSpan ConnectTimeout, bool UseTls, string? TlsServerName, bool AcceptInvalidCertificate);

    /// <summary>
    /// The connection (and TLS handshake) is established; writes go to <see cref="Writer"/>, reads come from it. With
    /// <see cref="PullReads"/> the writer delivers one read per <see cref="Tcp.ResumeReading"/> (Akka.IO's pull mode): the
    /// reader asks for the next read once it has taken the last, so a flood waits in the socket, not in memory.
    /// </summary>
    public sealed record Connected(IActorRef Writer, bool PullReads = false);

    /// <summary>The ack of a <see cref="Tcp.Write"/>: the socket took the bytes.</summary>
    public sealed class WriteAck : Tcp.Event
    {
        public static readonly WriteAck Instance = new();
        private WriteAck() { }
    }

    /// <summary>Closes the connection (abortively when <see cref="Abort"/>); <see cref="Closed"/> follows.</summary>
    public sealed record Close(bool Abort);

    /// <summary>The connection ended (or could not be established); the transport stops after sending this.</summary>
    public sealed record Closed(string Reason);

    public static Props Props(Options options) =>
        options.UseTls ? Akka.Actor.Props.Create(() => new TlsTransportActor(options)) : Akka.Actor.Props.Create(() => new TcpTransportActor(options));
}

/// <summary>
/// Plain TCP through Akka.IO: connects, then registers the connection actor itself as the handler of the TcpConnection and
/// hands it the TcpConnection as writer, so reads and writes take no extra hop. Pull-mode reads (the connection actor asks for each),
/// ack-based writes. It stays to turn the forwarded close events into <see cref="AmiTransport.Closed"/> and to close on request.
/// </summary>
internal sealed class TcpTransportActor : ReceiveActor
{
    private readonly AmiTransport.Options _options;
    private IActorRef? _connection;
    private bool _closedSent;

    public TcpTransportActor(AmiTransport.Options options)
    {
        _options = options;
        Connecting();
    }

    protected override void PreStart()
    {
        EndPoint endpoint = IPAddress.TryParse(_options.Host, out var ip) ? new IPEndPoint(ip, _options.Port) : new DnsEndPoint(_options.Host, _options.Port);
        Context.System.Tcp().Tell(new Tcp.Connect(endpoint, null, null, _options.ConnectTimeout, pullMode: true));
    }

    protected override void PostStop()
    {
        _connection?.Tell(Tcp.Abort.Instance);
        SendClosed("transport stopped");
    }

    private void Connecting()
    {
        Receive<Tcp.Connected>(_ =>
        {
            _connection = Sender;
            _connection.Tell(new Tcp.Register(Context.Parent, keepOpenOnPeerClosed: false, useResumeWriting: false));
            Context.Parent.Tell(new AmiTransport.Connected(_connection, PullReads: true));
            Become(Open);
        });
        Receive<Tcp.CommandFailed>(f =>
        {
            SendClosed($"connect to {_options.Host}:{_options.Port} failed{(f.Cause.HasValue ? ": " + f.Cause.Value.Message : "")}");
            Context.Stop(Self);
        });
        Receive<AmiTransport.Close>(_ =>
        {
            SendClosed("closed before connecting");
            Context.Stop(Self);
        });
    }

    private void Open()
    {
        Receive<AmiTransport.Close>(c =>
        {
            // The TcpConnection finishes an orderly close on its own and reports it to its handler (the connection actor,
            // which has let go of this transport already); nothing is left for this actor to wait for.
            _connection!.Tell(c.Abort ? Tcp.Abort.Instance : Tcp.Close.Instance);
            _connection = null;
            SendClosed(c.Abort ? "connection aborted" : "connection closed");
            Context.Stop(Self);
        });
        Receive<Tcp.CommandFailed>(f =>
        {
            _connection!.Tell(Tcp.Abort.Instance);
            _connection = null;
            SendClosed($"write failed{(f.Cause.HasValue ? ": " + f.Cause.Value.Message : "")}");
            Context.Stop(Self);
        });
        Receive<Tcp.ConnectionClosed>(c =>
        {
            _connection = null;
            SendClosed(c switch
            {
                Tcp.PeerClosed => "the server closed the connection",
                Tcp.ErrorClosed e => $"connection error: {e.Cause}",
                Tcp.Aborted => "connection aborted",
                _ => "connection closed",
            });
            Context.Stop(Self);
        });
    }

    private void SendClosed(string reason)
    {
        if (!_closedSent)
        {
            _closedSent = true;
            Context.Parent.Tell(new AmiTransport.Closed(reason));
        }
    }
}

/// <summary>
/// TLS over <see cref="SslStream"/>, mimicking Akka.IO's TcpConnection: it is the writer (acknowledges each <see cref="Tcp.Write"/>
/// when complete) and a read loop sends every read to the connection actor as <see cref="Tcp.Received"/> with this actor as sender.
/// </summary>
internal sealed class TlsTransportActor : ReceiveActor
{
    private sealed record Opened(Socket Socket, SslStream Stream);
    private sealed record Failed(string Reason);
    private sealed class WriteDone
    {
        public static readonly WriteDone Instance = new();
    }

    private readonly AmiTransport.Options _options;
    private readonly CancellationTokenSource _cts = new();
    private SslStream? _stream;
    private Socket? _socket;
    private bool _closedSent;

    public TlsTransportActor(AmiTransport.Options options)
    {
        _options = options;
        Receive<Opened>(o =>
        {
            _socket = o.Socket;
            _stream = o.Stream;
            var parent = Context.Parent;
            Context.Parent.Tell(new AmiTransport.Connected(Self));
            _ = ReadLoop(o.Stream, parent, Self, _cts.Token);
        });
        Receive<Failed>(f =>
        {
            SendClosed(f.Reason);
            Context.Stop(Self);
        });
        Receive<Tcp.Write>(w =>
        {
            if (_stream is null)
            {
                return;
            }
            var self = Self;
            WriteAsync(_stream, w.Data).ContinueWith(
                t => t.IsCompletedSuccessfully ? (object)WriteDone.Instance : new Failed($"TLS write failed: {t.Exception?.GetBaseException().Message ?? "cancelled"}"),
                TaskContinuationOptions.ExecuteSynchronously).PipeTo(self);
        });
        Receive<WriteDone>(_ => Context.Parent.Tell(AmiTransport.WriteAck.Instance));
        Receive<AmiTransport.Close>(c =>
        {
            SendClosed(c.Abort ? "connection aborted" : "connection closed");
            Context.Stop(Self);
        });
    }

    protected override void PreStart()
    {
        ConnectAsync().PipeTo(Self);
    }

    protected override void PostStop()
    {
        _cts.Cancel();
        try
        {
            _stream?.Dispose();
            _socket?.Dispose();
        }
        catch (Exception e)
        {
            Context.GetLogger().Debug("TLS transport dispose: {0}", e.Message);
        }
        SendClosed("transport stopped");
    }

    private async Task<object> ConnectAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
            timeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(_options.Host, _options.Port, timeout.Token).ConfigureAwait(false);
            var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            var auth = new SslClientAuthenticationOptions { TargetHost = _options.TlsServerName ?? _options.Host };
            if (_options.AcceptInvalidCertificate)
            {
                auth.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
            }
            await stream.AuthenticateAsClientAsync(auth, timeout.Token).ConfigureAwait(false);
            if (_cts.IsCancellationRequested)
            {
                // The actor stopped meanwhile: nobody would own this stream.
                await stream.DisposeAsync().ConfigureAwait(false);
                return new Failed("transport stopped");
            }
            return new Opened(socket, stream);
        }
        catch (Exception e)
        {
            socket.Dispose();
            string why = e is OperationCanceledException ? $"timed out after {_options.ConnectTimeout.TotalMilliseconds:0} ms" : e.GetBaseException().Message;
            return new Failed($"TLS connect to {_options.Host}:{_options.Port} failed: {why}");
        }
    }

    private static async Task WriteAsync(SslStream stream, ByteString data)
    {
        await stream.WriteAsync(data.ToArray()).ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
    }

    // Sends reads straight to the connection actor (with this transport as sender), so reads never wait for this actor.
    private static async Task ReadLoop(SslStream stream, IActorRef parent, IActorRef self, CancellationToken token)
    {
        var buffer = new byte[64 * 1024];
        string reason = "the server closed the connection";
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buffer, token).ConfigureAwait(false);
                if (n <= 0)
                {
                    break;
                }
                parent.Tell(new Tcp.Received(ByteString.CopyFrom(buffer, 0, n)), self);
            }
        }
        catch (Exception e)
        {
            reason = token.IsCancellationRequested ? "connection closed" : $"TLS read failed: {e.GetBaseException().Message}";
        }
        self.Tell(new Failed(reason));
    }

    private void SendClosed(string reason)
    {
        if (!_closedSent)
        {
            _closedSent = true;
            Context.Parent.Tell(new AmiTransport.Closed(reason));
        }
    }
}
