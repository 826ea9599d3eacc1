using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace AmiActors.Actors;

/// <summary>
/// The small protocol between a connection actor and its transport (plain TCP over Akka.IO, or TLS over SslStream).
/// The transport is a child of the connection actor; it sends <see cref="Connected"/>, then <see cref="Received"/> for every
/// read, answers each <see cref="Write"/> with <see cref="WriteAck"/>, and ends with exactly one <see cref="Closed"/>, after which it stops.
/// </summary>
internal static class AmiTransport
{
    /// <summary>Where and how to connect.</summary>
    public sealed record Options(string Host, int Port, TimeSpan ConnectTimeout, bool UseTls, string? TlsServerName, bool AcceptInvalidCertificate);

    /// <summary>The connection (and TLS handshake) is established.</summary>
    public sealed class Connected
    {
        public static readonly Connected Instance = new();
        private Connected() { }
    }

    /// <summary>Bytes read from the socket.</summary>
    public sealed record Received(ByteString Data)
    {
        public override string ToString() => $"Received({Data.Count} bytes)";
    }

    /// <summary>Bytes to write; answered with <see cref="WriteAck"/> once the socket took them. One write at a time.</summary>
    public sealed record Write(ByteString Data)
    {
        public override string ToString() => $"Write({Data.Count} bytes)";
    }

    /// <summary>The previous <see cref="Write"/> was accepted by the socket.</summary>
    public sealed class WriteAck
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

/// <summary>Plain TCP through Akka.IO: push-mode reads (the socket is always drained), ack-based writes.</summary>
internal sealed class TcpTransportActor : ReceiveActor
{
    private sealed class Ack : Tcp.Event
    {
        public static readonly Ack Instance = new();
    }

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
        Context.System.Tcp().Tell(new Tcp.Connect(endpoint, null, null, _options.ConnectTimeout, false));
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
            _connection.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: false, useResumeWriting: false));
            Context.Parent.Tell(AmiTransport.Connected.Instance);
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
        Receive<Tcp.Received>(r => Context.Parent.Tell(new AmiTransport.Received(r.Data)));
        Receive<AmiTransport.Write>(w => _connection!.Tell(Tcp.Write.Create(w.Data, Ack.Instance)));
        Receive<Ack>(_ => Context.Parent.Tell(AmiTransport.WriteAck.Instance));
        Receive<AmiTransport.Close>(c =>
        {
            _connection!.Tell(c.Abort ? Tcp.Abort.Instance : Tcp.Close.Instance);
            if (c.Abort)
            {
                // Abort produces no orderly close confirmation we want to wait for.
                _connection = null;
                SendClosed("connection aborted");
                Context.Stop(Self);
            }
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

/// <summary>TLS over <see cref="SslStream"/>: a read loop sends every read to the connection actor; writes are acknowledged when complete.</summary>
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
            Context.Parent.Tell(AmiTransport.Connected.Instance);
            _ = ReadLoop(o.Stream, parent, Self, _cts.Token);
        });
        Receive<Failed>(f =>
        {
            SendClosed(f.Reason);
            Context.Stop(Self);
        });
        Receive<AmiTransport.Write>(w =>
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
                parent.Tell(new AmiTransport.Received(ByteString.CopyFrom(buffer, 0, n)), self);
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
