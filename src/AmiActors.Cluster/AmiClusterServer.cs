namespace AmiActors.Cluster;

/// <summary>
/// A server definition as replicated to every node in Distributed Data: everything of <see cref="AmiServerDefinition"/>
/// except the secret, which is replaced by <see cref="SecretRef"/>, a reference resolved only on the node that hosts the
/// connection (<c>env:NAME</c>: that node's environment variable; <c>secret:NAME</c>: its <c>ami.cluster.secrets.NAME</c>
/// or the resolver given to <c>WithAmiCluster</c>; <c>config:ID</c>: the secret of <c>ami.servers.ID</c> in its own configuration).
/// </summary>
public sealed record AmiClusterServer
{
    /// <summary>The reference schemes a <see cref="SecretRef"/> may use.</summary>
    public static IReadOnlyList<string> SecretSchemes { get; } = ["env:", "secret:", "config:"];

    /// <summary>Creates a replicated definition.</summary>
    public AmiClusterServer(string id, string host, int port, string username, string secretRef)
    {
        Id = id;
        Host = host;
        Port = port;
        Username = username;
        SecretRef = secretRef;
    }

    /// <summary>The server id (the sharding entity id).</summary>
    public string Id { get; init; }

    /// <summary>Host name or IP address.</summary>
    public string Host { get; init; }

    /// <summary>TCP port.</summary>
    public int Port { get; init; }

    /// <summary>AMI user name.</summary>
    public string Username { get; init; }

    /// <summary>Where the hosting node finds the secret (never the secret itself).</summary>
    public string SecretRef { get; init; }

    /// <summary>Plain or MD5 challenge login.</summary>
    public AmiAuthType AuthType { get; init; }

    /// <summary>Connect with TLS.</summary>
    public bool UseTls { get; init; }

    /// <summary>Accept a TLS certificate that does not validate.</summary>
    public bool AcceptInvalidCertificate { get; init; }

    /// <summary>Server name to validate the TLS certificate against.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>The Login <c>Events:</c> mask.</summary>
    public string? EventMask { get; init; }

    /// <summary>Overrides <c>ami.connection.connect-timeout</c>.</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>Overrides <c>ami.connection.login-timeout</c>.</summary>
    public TimeSpan? LoginTimeout { get; init; }

    /// <summary>Overrides <c>ami.actions.default-timeout</c>.</summary>
    public TimeSpan? ActionTimeout { get; init; }

    /// <summary>True when <paramref name="secret"/> is a reference this package resolves (and so may be replicated).</summary>
    public static bool IsSecretReference(string? secret) =>
        secret is not null && SecretSchemes.Any(s => secret.StartsWith(s, StringComparison.Ordinal) && secret.Length > s.Length);

    /// <summary>
    /// The replicated form of <paramref name="server"/>, whose <see cref="AmiServerDefinition.Secret"/> must be a reference
    /// (<c>env:NAME</c>, <c>secret:NAME</c> or <c>config:ID</c>): a secret in clear is refused, it would be replicated to every node.
    /// </summary>
    /// <exception cref="AmiConfigurationException">The secret is not a reference, or the definition is invalid.</exception>
    public static AmiClusterServer FromDefinition(AmiServerDefinition server)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!IsSecretReference(server.Secret))
        {
            throw new AmiConfigurationException($"ami.servers.{server.Id}.secret",
                "must be a reference on a cluster (env:NAME, secret:NAME or config:ID), resolved on the node that hosts the connection; secrets in clear are not replicated");
        }
        AmiSettings.Validate(server);
        return FromDefinition(server, server.Secret);
    }

    /// <summary>The replicated form of <paramref name="server"/> with <paramref name="secretRef"/> in place of its secret.</summary>
    public static AmiClusterServer FromDefinition(AmiServerDefinition server, string secretRef)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new AmiClusterServer(server.Id, server.Host, server.Port, server.Username, secretRef)
        {
            AuthType = server.AuthType,
            UseTls = server.UseTls,
            AcceptInvalidCertificate = server.AcceptInvalidCertificate,
            TlsServerName = server.TlsServerName,
            EventMask = server.EventMask,
            ConnectTimeout = server.ConnectTimeout,
            LoginTimeout = server.LoginTimeout,
            ActionTimeout = server.ActionTimeout,
        };
    }

    /// <summary>The full definition with the resolved secret, built on the hosting node only.</summary>
    public AmiServerDefinition ToDefinition(string secret) => new(Id, Host, Port, Username, secret)
    {
        AuthType = AuthType,
        UseTls = UseTls,
        AcceptInvalidCertificate = AcceptInvalidCertificate,
        TlsServerName = TlsServerName,
        EventMask = EventMask,
        ConnectTimeout = ConnectTimeout,
        LoginTimeout = LoginTimeout,
        ActionTimeout = ActionTimeout,
    };

    /// <summary>Prints the reference, never a secret (a reference holds none).</summary>
    public override string ToString() =>
        $"AmiClusterServer(Id={Id}, {(UseTls ? "tls" : "tcp")}://{Username}@{Host}:{Port}, Auth={AuthType}, SecretRef={SecretRef})";
}
