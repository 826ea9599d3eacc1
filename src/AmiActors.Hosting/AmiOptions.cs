using System.Globalization;
using System.Text;

namespace AmiActors.Hosting;

/// <summary>
/// The AmiActors settings an application sets in code or binds from <c>IConfiguration</c> (an <c>Ami</c> section).
/// Every property left null keeps the default of the embedded reference.conf: <see cref="ToHocon"/> emits only what was set.
/// </summary>
public sealed class AmiOptions
{
    /// <summary>The configuration section bound by <c>AddAmi(configuration)</c>.</summary>
    public const string SectionName = "Ami";

    /// <summary>The servers to connect to when the manager starts (bindable as <c>Ami:Servers:0:Host</c>, <c>Ami__Servers__0__Host</c>).</summary>
    public List<AmiServerOptions> Servers { get; } = [];

    /// <summary><c>ami.connection.connect-timeout</c>.</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary><c>ami.connection.banner-timeout</c>.</summary>
    public TimeSpan? BannerTimeout { get; set; }

    /// <summary><c>ami.connection.login-timeout</c>.</summary>
    public TimeSpan? LoginTimeout { get; set; }

    /// <summary><c>ami.connection.heartbeat-interval</c>; <see cref="TimeSpan.Zero"/> turns the heartbeat off.</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary><c>ami.connection.heartbeat-timeout</c>.</summary>
    public TimeSpan? HeartbeatTimeout { get; set; }

    /// <summary><c>ami.connection.max-frame-size</c>, in bytes.</summary>
    public int? MaxFrameSize { get; set; }

    /// <summary>
    /// <c>ami.connection.share-read-buffers</c>: when messages reference the network read they arrived in instead of a
    /// copy. <see cref="AmiReadBufferSharing.Auto"/> (the default) only for a read at most twice the message's size;
    /// <see cref="AmiReadBufferSharing.On"/> always, so that a message the application keeps keeps its whole read alive
    /// unless it calls <c>AmiMessage.Detach()</c>; <see cref="AmiReadBufferSharing.Off"/> never.
    /// </summary>
    public AmiReadBufferSharing? ShareReadBuffers { get; set; }
    /// <summary><c>ami.connection.read-buffer-size</c>: bytes Akka.IO reads from the socket at once, per connection (512 to 1048576).</summary>
    public int? ReadBufferSize { get; set; }

    /// <summary><c>ami.connection.max-outbound-queue-bytes</c>.</summary>
    public int? MaxOutboundQueueBytes { get; set; }

    /// <summary><c>ami.connection.logoff-timeout</c>.</summary>
    public TimeSpan? LogoffTimeout { get; set; }

    /// <summary><c>ami.reconnect.min-backoff</c>.</summary>
    public TimeSpan? MinBackoff { get; set; }

    /// <summary><c>ami.reconnect.max-backoff</c>.</summary>
    public TimeSpan? MaxBackoff { get; set; }

    /// <summary><c>ami.reconnect.random-factor</c> (0 to 1).</summary>
    public double? BackoffRandomFactor { get; set; }

    /// <summary><c>ami.reconnect.reset-after</c>.</summary>
    public TimeSpan? BackoffResetAfter { get; set; }

    /// <summary><c>ami.reconnect.max-attempts</c>; 0 never gives up.</summary>
    public int? MaxReconnectAttempts { get; set; }

    /// <summary><c>ami.reconnect.authentication-failure-backoff</c>.</summary>
    public TimeSpan? AuthenticationFailureBackoff { get; set; }

    /// <summary><c>ami.actions.default-timeout</c>.</summary>
    public TimeSpan? ActionTimeout { get; set; }

    /// <summary><c>ami.actions.originate-timeout</c>.</summary>
    public TimeSpan? OriginateTimeout { get; set; }

    /// <summary><c>ami.actions.max-in-flight</c>, per server.</summary>
    public int? MaxInFlight { get; set; }

    /// <summary><c>ami.actions.when-disconnected</c>: true buffers actions while disconnected ("buffer"), false fails them at once ("fail").</summary>
    public bool? BufferWhenDisconnected { get; set; }

    /// <summary><c>ami.actions.disconnected-buffer-size</c>.</summary>
    public int? DisconnectedBufferSize { get; set; }

    /// <summary><c>ami.events.subscriber-buffer-size</c>.</summary>
    public int? SubscriberBufferSize { get; set; }

    /// <summary><c>ami.events.stream-buffer-size</c>.</summary>
    public int? StreamBufferSize { get; set; }

    /// <summary><c>ami.events.publish-to-event-stream</c>.</summary>
    public bool? PublishToEventStream { get; set; }

    /// <summary><c>ami.shutdown.drain-timeout</c>.</summary>
    public TimeSpan? DrainTimeout { get; set; }

    /// <summary><c>ami.dispatcher</c>: the dispatcher id of the connection actors and the event router.</summary>
    public string? Dispatcher { get; set; }

    /// <summary>Publish the <c>AmiActors</c> meter's instruments (on by default).</summary>
    public bool EnableMetrics { get; set; } = true;

    /// <summary>Adds a server and returns these options, for fluent configuration.</summary>
    public AmiOptions AddServer(string id, string host, int port, string username, string secret, Action<AmiServerOptions>? configure = null)
    {
        var server = new AmiServerOptions { Id = id, Host = host, Port = port, Username = username, Secret = secret };
        configure?.Invoke(server);
        Servers.Add(server);
        return this;
    }

    /// <summary>Adds a server from its definition.</summary>
    public AmiOptions AddServer(AmiServerDefinition server)
    {
        ArgumentNullException.ThrowIfNull(server);
        Servers.Add(AmiServerOptions.From(server));
        return this;
    }

    /// <summary>Checks every server and value; throws <see cref="ArgumentException"/> naming the first problem (never its secret).</summary>
    public void Validate()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Servers.Count; i++)
        {
            var s = Servers[i];
            s.Validate(i);
            if (!ids.Add(s.EffectiveId))
            {
                throw new ArgumentException($"Ami:Servers:{i}: the server id '{s.EffectiveId}' is used twice.");
            }
        }
        Positive(MaxFrameSize, nameof(MaxFrameSize));
        if (ReadBufferSize is < AmiSettings.MinReadBufferSize or > AmiSettings.MaxReadBufferSize)
        {
            throw new ArgumentException($"Ami:{nameof(ReadBufferSize)} must be between {AmiSettings.MinReadBufferSize} and {AmiSettings.MaxReadBufferSize} bytes.");
        }
        Positive(MaxOutboundQueueBytes, nameof(MaxOutboundQueueBytes));
        Positive(MaxInFlight, nameof(MaxInFlight));
        Positive(DisconnectedBufferSize, nameof(DisconnectedBufferSize));
        Positive(SubscriberBufferSize, nameof(SubscriberBufferSize));
        Positive(StreamBufferSize, nameof(StreamBufferSize));
        if (MaxReconnectAttempts is < 0)
        {
            throw new ArgumentException($"Ami:{nameof(MaxReconnectAttempts)} must be 0 (never give up) or more.");
        }
        if (BackoffRandomFactor is < 0 or > 1)
        {
            throw new ArgumentException($"Ami:{nameof(BackoffRandomFactor)} must be between 0 and 1.");
        }
    }

    private static void Positive(int? value, string name)
    {
        if (value is <= 0)
        {
            throw new ArgumentException($"Ami:{name} must be greater than 0.");
        }
    }

    /// <summary>The HOCON for what was set (nothing else), under <c>ami { ... }</c>. Contains the secrets: never log it.</summary>
    public string ToHocon()
    {
        Validate();
        var sb = new StringBuilder();
        sb.Append("ami {\n");
        if (Servers.Count > 0)
        {
            sb.Append("  servers {\n");
            foreach (var s in Servers)
            {
                s.AppendHocon(sb, "    ");
            }
            sb.Append("  }\n");
        }
        var connection = new HoconBlock("connection");
        connection.Duration("connect-timeout", ConnectTimeout);
        connection.Duration("banner-timeout", BannerTimeout);
        connection.Duration("login-timeout", LoginTimeout);
        if (HeartbeatInterval == TimeSpan.Zero)
        {
            connection.Raw("heartbeat-interval", "off");
        }
        else
        {
            connection.Duration("heartbeat-interval", HeartbeatInterval);
        }
        connection.Duration("heartbeat-timeout", HeartbeatTimeout);
        connection.Number("max-frame-size", MaxFrameSize);
        if (ShareReadBuffers is { } sharing)
        {
            // The enum's names are the HOCON values (auto, on, off).
            connection.Raw("share-read-buffers", sharing.ToString().ToLowerInvariant());
        }
        connection.Number("read-buffer-size", ReadBufferSize);
        connection.Number("max-outbound-queue-bytes", MaxOutboundQueueBytes);
        connection.Duration("logoff-timeout", LogoffTimeout);
        connection.AppendTo(sb);

        var reconnect = new HoconBlock("reconnect");
        reconnect.Duration("min-backoff", MinBackoff);
        reconnect.Duration("max-backoff", MaxBackoff);
        if (BackoffRandomFactor is { } rf)
        {
            reconnect.Raw("random-factor", rf.ToString("0.0###", CultureInfo.InvariantCulture));
        }
        reconnect.Duration("reset-after", BackoffResetAfter);
        reconnect.Number("max-attempts", MaxReconnectAttempts);
        reconnect.Duration("authentication-failure-backoff", AuthenticationFailureBackoff);
        reconnect.AppendTo(sb);

        var actions = new HoconBlock("actions");
        actions.Duration("default-timeout", ActionTimeout);
        actions.Duration("originate-timeout", OriginateTimeout);
        actions.Number("max-in-flight", MaxInFlight);
        if (BufferWhenDisconnected is { } buffer)
        {
            actions.Raw("when-disconnected", buffer ? "buffer" : "fail");
        }
        actions.Number("disconnected-buffer-size", DisconnectedBufferSize);
        actions.AppendTo(sb);

        var events = new HoconBlock("events");
        events.Number("subscriber-buffer-size", SubscriberBufferSize);
        events.Number("stream-buffer-size", StreamBufferSize);
        events.Bool("publish-to-event-stream", PublishToEventStream);
        events.AppendTo(sb);

        var shutdown = new HoconBlock("shutdown");
        shutdown.Duration("drain-timeout", DrainTimeout);
        shutdown.AppendTo(sb);

        if (Dispatcher is not null)
        {
            sb.Append("  dispatcher = ").Append(Hocon.Quote(Dispatcher)).Append('\n');
        }

        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>Lists the servers and the number of settings; never the secrets.</summary>
    public override string ToString() => $"AmiOptions({Servers.Count} servers: {string.Join(", ", Servers)})";

    /// <summary>Collects the set keys of one HOCON block.</summary>
    internal sealed class HoconBlock(string name)
    {
        private readonly List<string> _lines = [];

        public void Duration(string key, TimeSpan? value)
        {
            if (value is { } v)
            {
                Raw(key, Hocon.Duration(v));
            }
        }

        public void Number(string key, int? value)
        {
            if (value is { } v)
            {
                Raw(key, v.ToString(CultureInfo.InvariantCulture));
            }
        }

        public void Bool(string key, bool? value)
        {
            if (value is { } v)
            {
                Raw(key, v ? "on" : "off");
            }
        }

        public void String(string key, string? value)
        {
            if (value is not null)
            {
                Raw(key, Hocon.Quote(value));
            }
        }

        public void Raw(string key, string value) => _lines.Add($"{key} = {value}");

        public void AppendTo(StringBuilder sb, string indent = "  ")
        {
            if (_lines.Count == 0)
            {
                return;
            }
            sb.Append(indent).Append(name).Append(" {\n");
            foreach (var line in _lines)
            {
                sb.Append(indent).Append("  ").Append(line).Append('\n');
            }
            sb.Append(indent).Append("}\n");
        }
    }
}

/// <summary>One server in <see cref="AmiOptions.Servers"/>; the bindable form of <see cref="AmiServerDefinition"/>.</summary>
public sealed class AmiServerOptions
{
    /// <summary>The server id (lower-case letters, digits, '-', '_'); defaults to <see cref="Host"/> with '.' and ':' turned into '-' when empty.</summary>
    public string? Id { get; set; }

    /// <summary>Host name or IP address (required).</summary>
    public string? Host { get; set; }

    /// <summary>TCP port; null for 5038 (5039 with TLS).</summary>
    public int? Port { get; set; }

    /// <summary>AMI user name (required).</summary>
    public string? Username { get; set; }

    /// <summary>AMI secret (required). Never logged or printed.</summary>
    public string? Secret { get; set; }

    /// <summary>Plain or MD5 challenge login; null for plain.</summary>
    public AmiAuthType? AuthType { get; set; }

    /// <summary>Connect with TLS.</summary>
    public bool? UseTls { get; set; }

    /// <summary>Accept a TLS certificate that does not validate (self-signed).</summary>
    public bool? AcceptInvalidCertificate { get; set; }

    /// <summary>Name the TLS certificate must carry; defaults to <see cref="Host"/>.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>The Login <c>Events:</c> mask ("on", "off", or classes such as "call,agent"); null for the server's default.</summary>
    public string? EventMask { get; set; }

    /// <summary>Overrides the connect timeout for this server.</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>Overrides the login timeout for this server.</summary>
    public TimeSpan? LoginTimeout { get; set; }

    /// <summary>Overrides the default action timeout for this server.</summary>
    public TimeSpan? ActionTimeout { get; set; }

    /// <summary>The id actually used: <see cref="Id"/>, or the host (dots and colons as '-') when no id was given.</summary>
    public string EffectiveId => string.IsNullOrWhiteSpace(Id) ? (Host ?? "").Replace('.', '-').Replace(':', '-') : Id;

    /// <summary>The port actually used.</summary>
    public int EffectivePort => Port ?? (UseTls == true ? 5039 : 5038);

    /// <summary>Copies a definition.</summary>
    public static AmiServerOptions From(AmiServerDefinition d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new AmiServerOptions
        {
            Id = d.Id,
            Host = d.Host,
            Port = d.Port,
            Username = d.Username,
            Secret = d.Secret,
            AuthType = d.AuthType,
            UseTls = d.UseTls,
            AcceptInvalidCertificate = d.AcceptInvalidCertificate,
            TlsServerName = d.TlsServerName,
            EventMask = d.EventMask,
            ConnectTimeout = d.ConnectTimeout,
            LoginTimeout = d.LoginTimeout,
            ActionTimeout = d.ActionTimeout,
        };
    }

    /// <summary>The definition the runtime uses. Throws <see cref="ArgumentException"/> when a required value is missing.</summary>
    public AmiServerDefinition ToDefinition()
    {
        Validate(null);
        return new AmiServerDefinition(EffectiveId, Host!, EffectivePort, Username!, Secret!)
        {
            AuthType = AuthType ?? AmiAuthType.Plain,
            UseTls = UseTls ?? false,
            AcceptInvalidCertificate = AcceptInvalidCertificate ?? false,
            TlsServerName = TlsServerName,
            EventMask = EventMask,
            ConnectTimeout = ConnectTimeout,
            LoginTimeout = LoginTimeout,
            ActionTimeout = ActionTimeout,
        };
    }

    internal void Validate(int? index)
    {
        string where = index is { } i ? $"Ami:Servers:{i}" : $"AMI server '{EffectiveId}'";
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException($"{where}: Host is required.");
        }
        if (string.IsNullOrWhiteSpace(Username))
        {
            throw new ArgumentException($"{where}: Username is required.");
        }
        if (string.IsNullOrEmpty(Secret))
        {
            throw new ArgumentException($"{where}: Secret is required.");
        }
        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"{where}: Port must be between 1 and 65535.");
        }
        if (EffectiveId.Any(c => char.IsControl(c) || c is '"' or '.' or '\\'))
        {
            throw new ArgumentException($"{where}: the id may not contain control characters, quotes, dots or backslashes.");
        }
    }

    internal void AppendHocon(StringBuilder sb, string indent)
    {
        var block = new AmiOptions.HoconBlock(Hocon.Quote(EffectiveId));
        block.String("host", Host);
        block.Number("port", EffectivePort);
        block.String("username", Username);
        block.String("secret", Secret);
        if (AuthType is { } auth)
        {
            block.Raw("auth-type", auth == AmiAuthType.Md5 ? "md5" : "plain");
        }
        block.Bool("tls", UseTls);
        block.Bool("tls-accept-invalid-certificate", AcceptInvalidCertificate);
        block.String("tls-server-name", TlsServerName);
        block.String("event-mask", EventMask);
        block.Duration("connect-timeout", ConnectTimeout);
        block.Duration("login-timeout", LoginTimeout);
        block.Duration("action-timeout", ActionTimeout);
        block.AppendTo(sb, indent);
    }

    /// <summary>Prints everything but the secret.</summary>
    public override string ToString() =>
        $"{EffectiveId}={(UseTls == true ? "tls" : "tcp")}://{Username}@{Host}:{EffectivePort}";
}

/// <summary>HOCON literals.</summary>
internal static class Hocon
{
    /// <summary>A JSON-style quoted string (HOCON accepts JSON escapes).</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }

    /// <summary>A duration in whole milliseconds (HOCON durations have no fractions).</summary>
    public static string Duration(TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentException($"A duration may not be negative ({value}).");
        }
        long ms = (long)Math.Ceiling(value.TotalMilliseconds);
        return ms.ToString(CultureInfo.InvariantCulture) + "ms";
    }
}
