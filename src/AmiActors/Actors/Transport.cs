using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace AmiActors.Actors;

/// <summary>
/// The small protocol between a connection actor and its transport (plain TCP over Akka.IO, or TLS: SslStream over that same
/// Akka.IO connection), shaped after Akka.IO's own messages so the TCP transport can step off the hot path. The transport is a
/// child of the connection actor; it sends <see cref="Connected"/> naming the writer (Akka.IO's TcpConnection itself for TCP,
/// the TLS transport for TLS). The connection actor then sends <see cref="Tcp.Write"/> with <see cref="WriteAck"/> to the writer, one at a time,
/// and receives <see cref="Tcp.Received"/> from the writer. Any other <see cref="Tcp.Event"/> from the writer (a
/// <see cref="Tcp.ConnectionClosed"/>, a <see cref="Tcp.CommandFailed"/>) is forwarded to the transport, which ends with
/// exactly one <see cref="Closed"/> and stops.
/// </summary>
internal static class AmiTransport
{
    /// <summary>Where and how to connect.</summary>
    public sealed record Options(string Host, int Port, TimeSpan ConnectTimeout, bool UseTls, string? TlsServerName, bool AcceptInvalidCertificate, int ReadBufferSize);

    /// <summary>
    /// Akka.IO's settings for one connection: the system's, with reads of up to <paramref name="readBufferSize"/> bytes (Akka.IO
    /// rents a receive buffer of that size for the connection's life and also writes up to that many bytes at once). Akka.IO
    /// requires its send and receive buffer sizes to be at least the frame size, so they are raised to twice it when smaller.
    /// </summary>
    public static TcpSettings ForConnection(TcpSettings system, int readBufferSize) => system with
    {
        MaxFrameSizeBytes = readBufferSize,
        ReceiveBufferSize = Math.Max(system.ReceiveBufferSize, 2 * readBufferSize),
        SendBufferSize = Math.Max(system.SendBufferSize, 2 * readBufferSize),
    };

    /// <summary>
    /// The connection (and TLS handshake) is established; writes go to <see cref="Writer"/>, reads come from it. With
    /// <see cref="PullReads"/> the writer delivers one read per <see cref="Tcp.ResumeReading"/> (Akka.IO's pull mode): the
    /// reader asks for the next read once it has taken the last, so a flood waits in the socket, not in memory.
    /// </summary>
    public sealed record Connected(IActorRef Writer, bool PullReads = false);

    /// <summary>The ack of a <see cref="Tcp.Write"/>: the socket took the bytes.</summary>
    public sealed class WriteAck : Tcp.Event, IDeadLetterSuppression
    {
        public static readonly WriteAck Instance = new();
        private WriteAck() { }
    }

    /// <summary>
    /// Closes the connection (abortively when <see cref="Abort"/>); <see cref="Closed"/> follows. When the connection actor
    /// stops, its transport may be gone before this arrives, and <see cref="Closed"/> may find no one: both are expected, so
    /// neither is logged as a dead letter.
    /// </summary>
    public sealed record Close(bool Abort) : IDeadLetterSuppression;

    /// <summary>The connection ended (or could not be established); the transport stops after sending this.</summary>
    public sealed record Closed(string Reason) : IDeadLetterSuppression;

    /// <summary>
    /// The reason for a failed connect, the same for TCP and TLS: "connection refused" when the server refused it (Akka.IO
    /// reports a refusal as "finishConnect never returned true"), otherwise the error's own message.
    /// </summary>
    public static string ConnectFailed(Options options, Exception? cause)
    {
        string target = $"{(options.UseTls ? "TLS connect" : "connect")} to {options.Host}:{options.Port} failed";
        var socket = cause?.GetBaseException() as SocketException;
        string? why = socket?.SocketErrorCode == SocketError.ConnectionRefused || (cause?.Message.Contains("finishConnect", StringComparison.Ordinal) ?? false)
            ? "connection refused"
            : cause?.GetBaseException().Message.TrimEnd('.');
        return why is null ? target : $"{target}: {why}";
    }

    public static Props Props(Options options) =>
        options.UseTls ? Akka.Actor.Props.Create(() => new TlsTransportActor(options)) : Akka.Actor.Props.Create(() => new TcpTransportActor(options));

    /// <summary>What a transport says when Akka.IO reports the connection closed.</summary>
    public static string Describe(Tcp.ConnectionClosed closed) => closed switch
    {
        Tcp.PeerClosed => "the server closed the connection",
        Tcp.ErrorClosed e => $"connection error: {e.Cause}",
        Tcp.Aborted => "connection aborted",
        _ => "connection closed",
    };
}

/// <summary>
/// What both transports share: the Akka.IO connect (<see cref="Tcp.Connect"/> to the TCP manager, with the connect timeout),
/// its failure, a close before it succeeds, and exactly one <see cref="AmiTransport.Closed"/> to the connection actor.
/// </summary>
internal abstract class TransportActorBase : ReceiveActor
{
    private bool _closedSent;

    protected TransportActorBase(AmiTransport.Options options)
    {
        Options = options;
        Receive<Tcp.Connected>(_ =>
        {
            Connection = Sender;
            OnConnected();
        });
        Receive<Tcp.CommandFailed>(f => Finish(AmiTransport.ConnectFailed(Options, f.Cause.HasValue ? f.Cause.Value : null)));
        Receive<AmiTransport.Close>(_ => Finish("closed before connecting"));
    }

    protected AmiTransport.Options Options { get; }

    /// <summary>Akka.IO's TcpConnection, once connected; null again once it is closed.</summary>
    protected IActorRef? Connection { get; set; }

    protected string Where => $"{Options.Host}:{Options.Port}";

    protected override void PreStart()
    {
        EndPoint endpoint = IPAddress.TryParse(Options.Host, out var ip) ? new IPEndPoint(ip, Options.Port) : new DnsEndPoint(Options.Host, Options.Port);
        var connect = new Tcp.Connect(endpoint, null, null, Options.ConnectTimeout, PullMode)
        {
            TcpSettings = AmiTransport.ForConnection(Context.System.WithExtension<TcpExt, Tcp>().Settings, Options.ReadBufferSize),
        };
        Context.System.Tcp().Tell(connect);
    }

    /// <summary>Whether Akka.IO delivers reads only when asked (<see cref="Tcp.ResumeReading"/>).</summary>
    protected virtual bool PullMode => false;

    protected override void PostStop()
    {
        Connection?.Tell(Tcp.Abort.Instance);
        SendClosed("transport stopped");
    }

    /// <summary>The TCP connection is up (<see cref="Connection"/> is set): register a handler and become the next state.</summary>
    protected abstract void OnConnected();

    protected void SendClosed(string reason)
    {
        if (!_closedSent)
        {
            _closedSent = true;
            Context.Parent.Tell(new AmiTransport.Closed(reason));
        }
    }

    protected void Finish(string reason)
    {
        SendClosed(reason);
        Context.Stop(Self);
    }
}

/// <summary>
/// Plain TCP through Akka.IO: connects, then registers the connection actor itself as the handler of the TcpConnection and
/// hands it the TcpConnection as writer, so reads and writes take no extra hop. Pull-mode reads (the connection actor asks for each),
/// ack-based writes. It stays to turn the forwarded close events into <see cref="AmiTransport.Closed"/> and to close on request.
/// </summary>
internal sealed class TcpTransportActor(AmiTransport.Options options) : TransportActorBase(options)
{
    protected override bool PullMode => true;

    protected override void OnConnected()
    {
        Connection!.Tell(new Tcp.Register(Context.Parent, keepOpenOnPeerClosed: false, useResumeWriting: false));
        Context.Parent.Tell(new AmiTransport.Connected(Connection!, PullReads: true));
        Become(Open);
    }

    private void Open()
    {
        Receive<AmiTransport.Close>(c =>
        {
            // The TcpConnection finishes an orderly close on its own and reports it to its handler (the connection actor,
            // which has let go of this transport already); nothing is left for this actor to wait for.
            Connection!.Tell(c.Abort ? Tcp.Abort.Instance : Tcp.Close.Instance);
            Connection = null;
            Finish(c.Abort ? "connection aborted" : "connection closed");
        });
        Receive<Tcp.CommandFailed>(f =>
        {
            Finish($"write failed{(f.Cause.HasValue ? ": " + f.Cause.Value.Message : "")}");
        });
        Receive<Tcp.ConnectionClosed>(c =>
        {
            Connection = null;
            Finish(AmiTransport.Describe(c));
        });
    }
}

/// <summary>
/// TLS over the same Akka.IO connection: this actor is the TcpConnection's handler; an <see cref="SslStream"/> runs over an
/// <see cref="AkkaIoStream"/> fed by the <see cref="Tcp.Received"/>s it gets and writing acknowledged <see cref="Tcp.Write"/>s.
/// After the handshake it is the connection actor's writer: it encrypts each <see cref="Tcp.Write"/> and acknowledges it with
/// <see cref="AmiTransport.WriteAck"/> once the TcpConnection took the bytes, and a read loop sends the decrypted bytes to the
/// connection actor as <see cref="Tcp.Received"/> with this actor as sender. A clean close sends close_notify before the TCP close.
/// </summary>
internal sealed class TlsTransportActor : TransportActorBase, IWithTimers
{
    private sealed class Authenticated
    {
        public static readonly Authenticated Instance = new();
    }

    private sealed record HandshakeFailed(string Reason);

    private sealed record ReadEnded(string Reason);

    private sealed class WriteDone
    {
        public static readonly WriteDone Instance = new();
    }

    private sealed record WriteFailed(string Reason);

    private sealed class ShutdownDone
    {
        public static readonly ShutdownDone Instance = new();
    }

    private sealed class ShutdownTimeout
    {
        public static readonly ShutdownTimeout Instance = new();
    }

    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _cts = new();
    private readonly HandshakeObservation _seen;
    private AkkaIoStream? _stream;
    private SslStream? _ssl;

    public TlsTransportActor(AmiTransport.Options options)
        : base(options)
    {
        _seen = new HandshakeObservation(options.AcceptInvalidCertificate);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private string ServerName => Options.TlsServerName ?? Options.Host;

    protected override void OnConnected()
    {
        Connection!.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: false, useResumeWriting: false));
        _stream = new AkkaIoStream(Connection!, Self);
        _ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        var auth = new SslClientAuthenticationOptions { TargetHost = ServerName, RemoteCertificateValidationCallback = _seen.Validate };
        var seen = _seen;
        string where = Where;
        string serverName = ServerName;
        _ssl.AuthenticateAsClientAsync(auth, _cts.Token).ContinueWith(
            t => t.IsCompletedSuccessfully ? (object)Authenticated.Instance : new HandshakeFailed(seen.Describe(t.Exception, where, serverName)),
            TaskContinuationOptions.ExecuteSynchronously).PipeTo(Self);
        Become(Handshaking);
    }

    protected override void PostStop()
    {
        _cts.Cancel();
        _stream?.End("transport stopped");
        _ssl?.Dispose();
        base.PostStop();
    }

    private void Handshaking()
    {
        ReceiveNetwork();
        Receive<Authenticated>(authenticated =>
        {
            Context.Parent.Tell(new AmiTransport.Connected(Self));
            _ = ReadLoop(_ssl!, Context.Parent, Self, _cts.Token);
            Become(Open);
        });
        Receive<HandshakeFailed>(f => Finish(f.Reason));
        Receive<Tcp.CommandFailed>(_ => Finish($"TLS handshake with {Where} failed: a write was refused"));
        Receive<Tcp.ConnectionClosed>(c =>
        {
            Connection = null;
            Finish($"TLS handshake with {Where} failed: {AmiTransport.Describe(c)} during the handshake");
        });
        Receive<AmiTransport.Close>(_ => Finish("closed during the TLS handshake"));
    }

    private void Open()
    {
        ReceiveNetwork();
        Receive<Tcp.Write>(w =>
        {
            _ssl!.WriteAsync(w.Data.ToArray()).AsTask().ContinueWith(
                t => t.IsCompletedSuccessfully ? (object)WriteDone.Instance : new WriteFailed($"TLS write failed: {t.Exception?.GetBaseException().Message ?? "cancelled"}"),
                TaskContinuationOptions.ExecuteSynchronously).PipeTo(Self);
        });
        Receive<WriteDone>(_ => Context.Parent.Tell(AmiTransport.WriteAck.Instance));
        Receive<WriteFailed>(f => Finish(f.Reason));
        Receive<ReadEnded>(r => Finish(r.Reason));
        Receive<Tcp.CommandFailed>(f => Finish($"write failed{(f.Cause.HasValue ? ": " + f.Cause.Value.Message : "")}"));
        Receive<Tcp.ConnectionClosed>(c =>
        {
            // What was received before the close is still decrypted and delivered; the read loop ends with ReadEnded.
            Connection = null;
            _stream!.End(c is Tcp.PeerClosed ? null : AmiTransport.Describe(c));
        });
        Receive<AmiTransport.Close>(c =>
        {
            if (c.Abort)
            {
                Finish("connection aborted");
                return;
            }
            // close_notify, then the TCP close once Akka.IO has taken it; the connection actor has let go of this transport.
            SendClosed("connection closed");
            _ssl!.ShutdownAsync().ContinueWith(_ => ShutdownDone.Instance, TaskContinuationOptions.ExecuteSynchronously).PipeTo(Self);
            Timers.StartSingleTimer("shutdown", ShutdownTimeout.Instance, ShutdownGrace);
            Become(Closing);
        });
    }

    private void Closing()
    {
        ReceiveNetwork();
        Receive<ShutdownDone>(_ => Connection?.Tell(Tcp.Close.Instance));
        Receive<Tcp.ConnectionClosed>(_ =>
        {
            Connection = null;
            Context.Stop(Self);
        });
        Receive<ShutdownTimeout>(_ => Context.Stop(Self));
        Receive<Tcp.CommandFailed>(_ => Context.Stop(Self));
    }

    // In every state after the connect: ciphertext in, acks of the stream's own writes.
    private void ReceiveNetwork()
    {
        Receive<Tcp.Received>(r => _stream!.Feed(r.Data));
        Receive<AkkaIoStream.WriteAck>(_ => _stream!.OnWriteAcked());
    }

    // Sends the decrypted bytes straight to the connection actor (with this transport as sender), so reads never wait for this actor.
    private static async Task ReadLoop(SslStream ssl, IActorRef parent, IActorRef self, CancellationToken token)
    {
        var buffer = new byte[16 * 1024];
        string reason = "the server closed the connection";
        try
        {
            while (true)
            {
                int n = await ssl.ReadAsync(buffer, token).ConfigureAwait(false);
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
        self.Tell(new ReadEnded(reason));
    }

    /// <summary>What certificate validation saw during the handshake, to say why it failed.</summary>
    private sealed class HandshakeObservation(bool acceptInvalid)
    {
        private SslPolicyErrors _errors;
        private string? _subject;
        private string? _chainStatus;

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            _errors = errors;
            _subject = certificate?.Subject;
            _chainStatus = chain is null ? null : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            return acceptInvalid || errors == SslPolicyErrors.None;
        }

        public string Describe(Exception? error, string where, string serverName)
        {
            string why;
            if (!acceptInvalid && _errors != SslPolicyErrors.None)
            {
                var problems = new List<string>();
                if (_errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
                {
                    problems.Add("the server sent no certificate");
                }
                if (_errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
                {
                    problems.Add($"name mismatch: the certificate ({_subject}) is not for '{serverName}' (set tls-server-name to a name it was issued for)");
                }
                if (_errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
                {
                    problems.Add($"certificate chain not trusted ({_chainStatus}; trust its issuer, or opt in to tls-accept-invalid-certificate)");
                }
                why = string.Join("; ", problems);
            }
            else
            {
                why = $"protocol error: {error?.GetBaseException().Message ?? "cancelled"} (does the server speak TLS on this port?)";
            }
            return $"TLS handshake with {where} (server name '{serverName}') failed: {why}";
        }
    }
}
