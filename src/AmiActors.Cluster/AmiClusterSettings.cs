using Akka.Actor;
using Akka.Configuration;
using Akka.DistributedData;

namespace AmiActors.Cluster;

/// <summary>The settings of <c>ami.cluster</c> (defaults and documentation in hocon/reference.conf).</summary>
public sealed record AmiClusterSettings
{
    /// <summary>The cluster role of nodes that host PBX connections (<c>ami.cluster.role</c>).</summary>
    public string Role { get; init; } = "ami";

    /// <summary>The sharding type name (<c>ami.cluster.type-name</c>).</summary>
    public string TypeName { get; init; } = "ami-server";

    /// <summary>How often every node re-sends StartEntity for every wanted server (<c>ami.cluster.keep-alive-interval</c>).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often entities republish their state (<c>ami.cluster.state-refresh-interval</c>).</summary>
    public TimeSpan StateRefreshInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Events an entity may hold unrelayed before its PBX's events are dropped (<c>ami.cluster.relay-buffer-size</c>).</summary>
    public int RelayBufferSize { get; init; } = 100_000;

    /// <summary>The pub-sub topic of events (<c>ami.cluster.events-topic</c>).</summary>
    public string EventsTopic { get; init; } = "ami-events";

    /// <summary>The pub-sub topic of connection states (<c>ami.cluster.state-topic</c>).</summary>
    public string StateTopic { get; init; } = "ami-state";

    /// <summary>"majority", "all" or "local" (<c>ami.cluster.write-consistency</c>).</summary>
    public string WriteConsistency { get; init; } = "majority";

    /// <summary><c>ami.cluster.write-timeout</c>.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>ami.cluster.seed-servers-from-config</c>.</summary>
    public bool SeedServersFromConfig { get; init; } = true;

    /// <summary>Secrets for <c>secret:NAME</c> references (<c>ami.cluster.secrets</c>), read on the hosting node only.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Reads <c>ami.cluster</c> from <paramref name="config"/> (with the embedded defaults as fallback).</summary>
    public static AmiClusterSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.WithFallback(AmiSettings.DefaultConfig).GetConfig("ami.cluster");
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        var secretConfig = c.GetConfig("secrets");
        if (secretConfig is not null && !secretConfig.IsEmpty)
        {
            foreach (var entry in secretConfig.AsEnumerable())
            {
                secrets[entry.Key] = entry.Value.GetString();
            }
        }
        var settings = new AmiClusterSettings
        {
            Role = c.GetString("role", "ami"),
            TypeName = c.GetString("type-name", "ami-server"),
            KeepAliveInterval = c.GetTimeSpan("keep-alive-interval", TimeSpan.FromSeconds(2)),
            StateRefreshInterval = c.GetTimeSpan("state-refresh-interval", TimeSpan.FromSeconds(5)),
            RelayBufferSize = c.GetInt("relay-buffer-size", 100_000),
            EventsTopic = c.GetString("events-topic", "ami-events"),
            StateTopic = c.GetString("state-topic", "ami-state"),
            WriteConsistency = c.GetString("write-consistency", "majority"),
            WriteTimeout = c.GetTimeSpan("write-timeout", TimeSpan.FromSeconds(5)),
            SeedServersFromConfig = c.GetBoolean("seed-servers-from-config", true),
            Secrets = secrets,
        };
        settings.Validate();
        return settings;
    }

    /// <summary>Reads the settings from the system's configuration.</summary>
    public static AmiClusterSettings FromSystem(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        system.Settings.InjectTopLevelFallback(AmiSettings.DefaultConfig);
        return Create(system.Settings.Config);
    }

    /// <summary>Checks every value; throws <see cref="AmiConfigurationException"/> naming the key.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TypeName))
        {
            throw new AmiConfigurationException("ami.cluster.type-name", "must not be empty");
        }
        if (KeepAliveInterval <= TimeSpan.Zero)
        {
            throw new AmiConfigurationException("ami.cluster.keep-alive-interval", "must be positive");
        }
        if (StateRefreshInterval <= TimeSpan.Zero)
        {
            throw new AmiConfigurationException("ami.cluster.state-refresh-interval", "must be positive");
        }
        if (RelayBufferSize <= 0)
        {
            throw new AmiConfigurationException("ami.cluster.relay-buffer-size", "must be positive");
        }
        if (WriteTimeout <= TimeSpan.Zero)
        {
            throw new AmiConfigurationException("ami.cluster.write-timeout", "must be positive");
        }
        if (WriteConsistency is not ("majority" or "all" or "local"))
        {
            throw new AmiConfigurationException("ami.cluster.write-consistency", "must be \"majority\", \"all\" or \"local\"");
        }
        if (string.IsNullOrWhiteSpace(EventsTopic) || string.IsNullOrWhiteSpace(StateTopic) || EventsTopic == StateTopic)
        {
            throw new AmiConfigurationException("ami.cluster.events-topic", "and ami.cluster.state-topic must be set and differ");
        }
    }

    internal IWriteConsistency WriteLevel => WriteConsistency switch
    {
        "all" => new WriteAll(WriteTimeout),
        "local" => Akka.DistributedData.WriteLocal.Instance,
        _ => new WriteMajority(WriteTimeout),
    };
}
