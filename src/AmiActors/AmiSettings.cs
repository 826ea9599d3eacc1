using System.Reflection;
using Akka.Actor;
using Akka.Configuration;

namespace AmiActors;

/// <summary>What happens to actions sent while a server is not connected (<c>ami.actions.when-disconnected</c>).</summary>
public enum AmiDisconnectedPolicy
{
    /// <summary>Keep them (up to <c>disconnected-buffer-size</c>) and send them after login; they still honour their timeouts.</summary>
    Buffer = 0,
    /// <summary>Reject them at once with <see cref="AmiNotConnectedException"/>.</summary>
    Fail = 1,
}

/// <summary>When a message references the network read it arrived in instead of a copy (<c>ami.connection.share-read-buffers</c>).</summary>
public enum AmiReadBufferSharing
{
    /// <summary>
    /// Only when the read is at most twice the message's size (a read carrying one event, as most reads from a real Asterisk
    /// do); a kept message then keeps at most about twice its own bytes alive. The reads of a flood are copied.
    /// </summary>
    Auto = 0,
    /// <summary>Every message that lies wholly in one read: least allocation; a kept message keeps its whole read alive (see <see cref="Protocol.AmiMessage.Detach"/>).</summary>
    On = 1,
    /// <summary>Never: every message owns a copy of its bytes.</summary>
    Off = 2,
}

/// <summary>
/// The validated <c>ami</c> configuration section: every key of <c>hocon/reference.conf</c> plus the servers of <c>ami.servers</c>.
/// Create with <see cref="Create"/> (from a config holding an <c>ami</c> section, defaults filled from the embedded reference.conf)
/// or <see cref="FromSystem"/>. Invalid values raise <see cref="AmiConfigurationException"/> naming the key.
/// </summary>
public sealed record AmiSettings
{
    private static readonly Lazy<Config> Reference = new(LoadReference);

    /// <summary>The embedded reference configuration (the defaults), as a <see cref="Config"/> with an <c>ami</c> section.</summary>
    public static Config DefaultConfig => Reference.Value;

    /// <summary>The settings built from the defaults alone (no servers).</summary>
    public static AmiSettings Default { get; } = Create(ConfigurationFactory.Empty);

    /// <summary><c>ami.connection.connect-timeout</c>.</summary>
    public TimeSpan ConnectTimeout { get; init; }
    /// <summary><c>ami.connection.banner-timeout</c>.</summary>
    public TimeSpan BannerTimeout { get; init; }
    /// <summary><c>ami.connection.login-timeout</c>.</summary>
    public TimeSpan LoginTimeout { get; init; }
    /// <summary><c>ami.connection.heartbeat-interval</c>; null when "off".</summary>
    public TimeSpan? HeartbeatInterval { get; init; }
    /// <summary><c>ami.connection.heartbeat-timeout</c>.</summary>
    public TimeSpan HeartbeatTimeout { get; init; }
    /// <summary><c>ami.connection.max-frame-size</c>, in bytes.</summary>
    public int MaxFrameSize { get; init; }
    /// <summary>
    /// <c>ami.connection.share-read-buffers</c>: when messages reference the array of the read they arrived in instead
    /// of a copy (less allocation; a kept shared message keeps that read alive, see <see cref="Protocol.AmiMessage.Detach"/>).
    /// </summary>
    public AmiReadBufferSharing ShareReadBuffers { get; init; }

    /// <summary><c>ami.connection.read-buffer-size</c>: bytes Akka.IO reads from the socket at once, per connection.</summary>
    public int ReadBufferSize { get; init; } = 32768;
    /// <summary><c>ami.connection.max-outbound-queue-bytes</c>.</summary>
    public int MaxOutboundQueueBytes { get; init; }
    /// <summary><c>ami.connection.logoff-timeout</c>.</summary>
    public TimeSpan LogoffTimeout { get; init; }
    /// <summary><c>ami.reconnect.min-backoff</c>.</summary>
    public TimeSpan MinBackoff { get; init; }
    /// <summary><c>ami.reconnect.max-backoff</c>.</summary>
    public TimeSpan MaxBackoff { get; init; }
    /// <summary><c>ami.reconnect.random-factor</c> (0 to 1).</summary>
    public double RandomFactor { get; init; }
    /// <summary><c>ami.reconnect.reset-after</c>.</summary>
    public TimeSpan ResetAfter { get; init; }
    /// <summary><c>ami.reconnect.max-attempts</c>; 0 = never give up.</summary>
    public int MaxAttempts { get; init; }
    /// <summary><c>ami.reconnect.authentication-failure-backoff</c>.</summary>
    public TimeSpan AuthenticationFailureBackoff { get; init; }
    /// <summary><c>ami.actions.default-timeout</c>.</summary>
    public TimeSpan DefaultActionTimeout { get; init; }
    /// <summary><c>ami.actions.originate-timeout</c>.</summary>
    public TimeSpan OriginateTimeout { get; init; }
    /// <summary><c>ami.actions.max-in-flight</c>.</summary>
    public int MaxInFlight { get; init; }
    /// <summary><c>ami.actions.when-disconnected</c>.</summary>
    public AmiDisconnectedPolicy WhenDisconnected { get; init; }
    /// <summary><c>ami.actions.disconnected-buffer-size</c>.</summary>
    public int DisconnectedBufferSize { get; init; }
    /// <summary><c>ami.events.subscriber-buffer-size</c>.</summary>
    public int SubscriberBufferSize { get; init; }
    /// <summary><c>ami.events.stream-buffer-size</c>.</summary>
    public int StreamBufferSize { get; init; }
    /// <summary><c>ami.events.publish-to-event-stream</c>.</summary>
    public bool PublishToEventStream { get; init; }
    /// <summary><c>ami.shutdown.drain-timeout</c>.</summary>
    public TimeSpan DrainTimeout { get; init; }
    /// <summary><c>ami.dispatcher</c>: the dispatcher id of the connection actors and the event router.</summary>
    public string Dispatcher { get; init; } = AmiActors.Actors.AmiInlineDispatcher.DispatcherId;
    /// <summary>The servers of <c>ami.servers</c>, connected when the manager starts.</summary>
    public IReadOnlyList<AmiServerDefinition> Servers { get; init; } = Array.Empty<AmiServerDefinition>();

    /// <summary>The smallest <see cref="ReadBufferSize"/> accepted.</summary>
    public const int MinReadBufferSize = 512;

    /// <summary>The largest <see cref="ReadBufferSize"/> accepted (1 MiB).</summary>
    public const int MaxReadBufferSize = 1024 * 1024;

    /// <summary>Reads and validates the <c>ami</c> section of <paramref name="config"/>, with the embedded defaults as fallback.</summary>
    /// <exception cref="AmiConfigurationException">A value is missing or invalid (the message names the key, never a secret).</exception>
    public static AmiSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var root = config.WithFallback(DefaultConfig);
        var r = new Reader(root);
        var settings = new AmiSettings
        {
            ConnectTimeout = r.Duration("ami.connection.connect-timeout"),
            BannerTimeout = r.Duration("ami.connection.banner-timeout"),
            LoginTimeout = r.Duration("ami.connection.login-timeout"),
            HeartbeatInterval = r.OptionalDuration("ami.connection.heartbeat-interval"),
            HeartbeatTimeout = r.Duration("ami.connection.heartbeat-timeout"),
            MaxFrameSize = r.Int("ami.connection.max-frame-size", 64),
            ShareReadBuffers = r.Sharing("ami.connection.share-read-buffers"),
            ReadBufferSize = r.Int("ami.connection.read-buffer-size", MinReadBufferSize),
            MaxOutboundQueueBytes = r.Int("ami.connection.max-outbound-queue-bytes", 1024),
            LogoffTimeout = r.Duration("ami.connection.logoff-timeout"),
            MinBackoff = r.Duration("ami.reconnect.min-backoff"),
            MaxBackoff = r.Duration("ami.reconnect.max-backoff"),
            RandomFactor = r.Double("ami.reconnect.random-factor", 0, 1),
            ResetAfter = r.Duration("ami.reconnect.reset-after"),
            MaxAttempts = r.Int("ami.reconnect.max-attempts", 0),
            AuthenticationFailureBackoff = r.Duration("ami.reconnect.authentication-failure-backoff"),
            DefaultActionTimeout = r.Duration("ami.actions.default-timeout"),
            OriginateTimeout = r.Duration("ami.actions.originate-timeout"),
            MaxInFlight = r.Int("ami.actions.max-in-flight", 1),
            WhenDisconnected = r.Policy("ami.actions.when-disconnected"),
            DisconnectedBufferSize = r.Int("ami.actions.disconnected-buffer-size", 0),
            SubscriberBufferSize = r.Int("ami.events.subscriber-buffer-size", 1),
            StreamBufferSize = r.Int("ami.events.stream-buffer-size", 1),
            PublishToEventStream = r.Bool("ami.events.publish-to-event-stream"),
            DrainTimeout = r.Duration("ami.shutdown.drain-timeout"),
            Dispatcher = r.DispatcherId("ami.dispatcher"),
            Servers = ReadServers(root, r),
        };
        if (settings.ReadBufferSize > MaxReadBufferSize)
        {
            throw new AmiConfigurationException("ami.connection.read-buffer-size", $"must be at most {MaxReadBufferSize} (got {settings.ReadBufferSize})");
        }
        if (settings.MaxBackoff < settings.MinBackoff)
        {
            throw new AmiConfigurationException("ami.reconnect.max-backoff", "must not be shorter than ami.reconnect.min-backoff");
        }
        return settings;
    }

    /// <summary>
    /// Injects the embedded defaults into the system's configuration (as a top-level fallback) and reads the <c>ami</c> section.
    /// </summary>
    public static AmiSettings FromSystem(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        system.Settings.InjectTopLevelFallback(DefaultConfig);
        return Create(system.Settings.Config);
    }

    /// <summary>The effective action timeout for a server (its override or <see cref="DefaultActionTimeout"/>).</summary>
    public TimeSpan ActionTimeoutFor(AmiServerDefinition server) => server.ActionTimeout ?? DefaultActionTimeout;

    /// <summary>Checks one server definition; throws <see cref="AmiConfigurationException"/> naming the offending field.</summary>
    public static void Validate(AmiServerDefinition server)
    {
        ArgumentNullException.ThrowIfNull(server);
        string at = $"ami.servers.{server.Id}";
        if (string.IsNullOrWhiteSpace(server.Id))
        {
            throw new AmiConfigurationException("ami.servers", "a server id must not be empty");
        }
        if (string.IsNullOrWhiteSpace(server.Host))
        {
            throw new AmiConfigurationException($"{at}.host", "is required");
        }
        if (server.Port is <= 0 or > 65535)
        {
            throw new AmiConfigurationException($"{at}.port", $"must be between 1 and 65535 (got {server.Port})");
        }
        if (string.IsNullOrEmpty(server.Username))
        {
            throw new AmiConfigurationException($"{at}.username", "is required");
        }
        if (server.Secret is null)
        {
            throw new AmiConfigurationException($"{at}.secret", "is required");
        }
        foreach (var (name, value) in new[] { ("username", server.Username), ("secret", server.Secret), ("event-mask", server.EventMask ?? "") })
        {
            if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                throw new AmiConfigurationException($"{at}.{name}", "must not contain CR, LF or NUL");
            }
        }
        foreach (var (name, value) in new[] { ("connect-timeout", server.ConnectTimeout), ("login-timeout", server.LoginTimeout), ("action-timeout", server.ActionTimeout) })
        {
            if (value is { } t && t <= TimeSpan.Zero)
            {
                throw new AmiConfigurationException($"{at}.{name}", "must be a positive duration");
            }
        }
    }

    private static IReadOnlyList<AmiServerDefinition> ReadServers(Config root, Reader r)
    {
        var section = root.GetConfig("ami.servers");
        if (section is null || section.IsEmpty)
        {
            return Array.Empty<AmiServerDefinition>();
        }
        var list = new List<AmiServerDefinition>();
        foreach (var entry in section.AsEnumerable().Select(e => e.Key.Split('.')[0]).Distinct(StringComparer.Ordinal))
        {
            string id = entry.Trim('"');
            string at = $"ami.servers.{entry}";
            var s = root.GetConfig(at);
            if (s is null || s.IsEmpty)
            {
                throw new AmiConfigurationException(at, "must be an object with host, port, username and secret");
            }
            string authType = s.GetString("auth-type", "plain") ?? "plain";
            var server = new AmiServerDefinition(
                id,
                s.GetString("host", null) ?? throw new AmiConfigurationException($"{at}.host", "is required"),
                r.Int($"{at}.port", 1, 5038),
                s.GetString("username", null) ?? throw new AmiConfigurationException($"{at}.username", "is required"),
                s.GetString("secret", null) ?? throw new AmiConfigurationException($"{at}.secret", "is required"))
            {
                AuthType = authType.ToLowerInvariant() switch
                {
                    "plain" => AmiAuthType.Plain,
                    "md5" => AmiAuthType.Md5,
                    _ => throw new AmiConfigurationException($"{at}.auth-type", $"must be \"plain\" or \"md5\" (got \"{authType}\")"),
                },
                UseTls = r.Bool($"{at}.tls", false),
                AcceptInvalidCertificate = r.Bool($"{at}.tls-accept-invalid-certificate", false),
                TlsServerName = s.GetString("tls-server-name", null),
                EventMask = s.GetString("event-mask", null),
                ConnectTimeout = s.HasPath("connect-timeout") ? r.Duration($"{at}.connect-timeout") : null,
                LoginTimeout = s.HasPath("login-timeout") ? r.Duration($"{at}.login-timeout") : null,
                ActionTimeout = s.HasPath("action-timeout") ? r.Duration($"{at}.action-timeout") : null,
            };
            Validate(server);
            list.Add(server);
        }
        return list;
    }

    private static Config LoadReference()
    {
        using var stream = typeof(AmiSettings).Assembly.GetManifestResourceStream("AmiActors.reference.conf")
            ?? throw new InvalidOperationException("The embedded resource AmiActors.reference.conf is missing from the AmiActors assembly.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    // Reads values, turning every parse error into an AmiConfigurationException that names the key.
    private sealed class Reader(Config root)
    {
        public TimeSpan Duration(string key)
        {
            var value = OptionalDuration(key);
            return value ?? throw new AmiConfigurationException(key, "must be a positive duration (\"off\" is not allowed here)");
        }

        public TimeSpan? OptionalDuration(string key)
        {
            string? text = Raw(key);
            if (text is null)
            {
                throw new AmiConfigurationException(key, "is missing");
            }
            if (text is "off" or "none" or "infinite")
            {
                return null;
            }
            TimeSpan value;
            try
            {
                value = root.GetTimeSpan(key, null, allowInfinite: false);
            }
            catch (Exception e) when (e is not AmiConfigurationException)
            {
                throw new AmiConfigurationException(key, $"must be a duration such as \"5s\" or \"250ms\" (got \"{text}\")");
            }
            if (value <= TimeSpan.Zero)
            {
                throw new AmiConfigurationException(key, "must be a positive duration");
            }
            return value;
        }

        public int Int(string key, int min, int? fallback = null)
        {
            string? text = Raw(key);
            if (text is null)
            {
                return fallback ?? throw new AmiConfigurationException(key, "is missing");
            }
            if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value) || value < min)
            {
                throw new AmiConfigurationException(key, $"must be a whole number of at least {min} (got \"{text}\")");
            }
            return value;
        }

        public double Double(string key, double min, double max)
        {
            string? text = Raw(key);
            if (text is null || !double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) || value < min || value > max)
            {
                throw new AmiConfigurationException(key, $"must be a number between {min} and {max} (got \"{text}\")");
            }
            return value;
        }

        public bool Bool(string key, bool? fallback = null)
        {
            string? text = Raw(key);
            if (text is null)
            {
                return fallback ?? throw new AmiConfigurationException(key, "is missing");
            }
            return OnOff(text) ?? throw new AmiConfigurationException(key, $"must be on or off (got \"{text}\")");
        }

        private static bool? OnOff(string? text) => text?.ToLowerInvariant() switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => null,
        };

        public string DispatcherId(string key)
        {
            string? text = Raw(key);
            return string.IsNullOrWhiteSpace(text) ? throw new AmiConfigurationException(key, "must be a dispatcher id") : text;
        }

        public AmiReadBufferSharing Sharing(string key)
        {
            string? text = Raw(key);
            if (string.Equals(text, "auto", StringComparison.OrdinalIgnoreCase))
            {
                return AmiReadBufferSharing.Auto;
            }
            return OnOff(text) switch
            {
                true => AmiReadBufferSharing.On,
                false => AmiReadBufferSharing.Off,
                null => throw new AmiConfigurationException(key, $"must be auto, on or off (got \"{text}\")"),
            };
        }

        public AmiDisconnectedPolicy Policy(string key)
        {
            string? text = Raw(key);
            return text?.ToLowerInvariant() switch
            {
                "buffer" => AmiDisconnectedPolicy.Buffer,
                "fail" => AmiDisconnectedPolicy.Fail,
                _ => throw new AmiConfigurationException(key, $"must be \"buffer\" or \"fail\" (got \"{text}\")"),
            };
        }

        private string? Raw(string key)
        {
            try
            {
                return root.HasPath(key) ? root.GetString(key, null) : null;
            }
            catch (Exception e) when (e is not AmiConfigurationException)
            {
                throw new AmiConfigurationException(key, "must be a single value, not an object or list");
            }
        }
    }
}
