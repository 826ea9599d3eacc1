namespace AmiActors;

/// <summary>How the client logs in.</summary>
public enum AmiAuthType
{
    /// <summary><c>Login</c> with <c>Username</c> and <c>Secret</c>.</summary>
    Plain = 0,
    /// <summary><c>Challenge</c> (MD5), then <c>Login</c> with <c>Key</c> = md5(challenge + secret). The secret never crosses the wire.</summary>
    Md5 = 1,
}

/// <summary>
/// One Asterisk server to connect to. Plain data, safe to serialize; <see cref="ToString"/> never prints the secret.
/// Timeouts left null use the values of the <c>AmiSettings</c> defaults (<c>ami.connection</c> and <c>ami.actions</c> in reference.conf).
/// </summary>
public sealed record AmiServerDefinition
{
    /// <summary>Creates a server definition.</summary>
    public AmiServerDefinition(string id, string host, int port, string username, string secret)
    {
        Id = id;
        Host = host;
        Port = port;
        Username = username;
        Secret = secret;
    }

    /// <summary>The server id used in every message that concerns this server (lower-case letters, digits, '-', '_' recommended).</summary>
    public string Id { get; init; }

    /// <summary>Host name or IP address.</summary>
    public string Host { get; init; }

    /// <summary>TCP port (5038 plain, 5039 TLS by convention).</summary>
    public int Port { get; init; }

    /// <summary>AMI user name.</summary>
    public string Username { get; init; }

    /// <summary>AMI secret. Never logged or printed.</summary>
    public string Secret { get; init; }

    /// <summary>Plain or MD5 challenge login.</summary>
    public AmiAuthType AuthType { get; init; } = AmiAuthType.Plain;

    /// <summary>Connect with TLS.</summary>
    public bool UseTls { get; init; }

    /// <summary>Accept a TLS certificate that does not validate (self-signed). Off by default.</summary>
    public bool AcceptInvalidCertificate { get; init; }

    /// <summary>Server name to validate the TLS certificate against; defaults to <see cref="Host"/>.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>The Login <c>Events:</c> mask: null (server default: everything the user may read), "on", "off", or a comma list of classes ("call,agent").</summary>
    public string? EventMask { get; init; }

    /// <summary>Overrides <c>ami.connection.connect-timeout</c>.</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>Overrides <c>ami.connection.login-timeout</c>.</summary>
    public TimeSpan? LoginTimeout { get; init; }

    /// <summary>Overrides <c>ami.actions.default-timeout</c>.</summary>
    public TimeSpan? ActionTimeout { get; init; }

    /// <summary>Prints everything but the secret.</summary>
    public override string ToString() =>
        $"AmiServerDefinition(Id={Id}, {(UseTls ? "tls" : "tcp")}://{Username}@{Host}:{Port}, Auth={AuthType}, Events={EventMask ?? "(default)"}, Secret=***)";
}
