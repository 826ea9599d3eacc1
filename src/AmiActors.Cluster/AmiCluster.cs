using System.Reflection;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using Akka.DistributedData;

namespace AmiActors.Cluster;

/// <summary>Options of <see cref="AmiCluster.StartAsync"/> and <c>WithAmiCluster</c>; what is left null comes from <c>ami.cluster</c>.</summary>
public sealed class AmiClusterOptions
{
    /// <summary>The role of nodes that host PBX connections (<c>ami.cluster.role</c>, default <c>ami</c>).</summary>
    public string? Role { get; set; }

    /// <summary>
    /// Whether this node hosts connections. Null: it does when it has <see cref="Role"/> (an empty role means every node).
    /// </summary>
    public bool? HostConnections { get; set; }

    /// <summary>Resolves <c>secret:NAME</c> references on this node (for example from a vault); null falls back to <c>ami.cluster.secrets</c>.</summary>
    public Func<string, string?>? SecretResolver { get; set; }

    /// <summary>Secrets for <c>secret:NAME</c> references, held by this node only (emitted into <c>ami.cluster.secrets</c> is avoided: kept in memory).</summary>
    public IDictionary<string, string> Secrets { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Refuse to fall back to the JSON serializer for any unbound type (<c>akka.actor.serialization-settings.allow-unregistered-types = off</c>). Default true.</summary>
    public bool StrictSerialization { get; set; } = true;

    /// <summary>Extra HOCON under <c>ami.cluster</c> (for example <c>keep-alive-interval = 1s</c>).</summary>
    public string? Hocon { get; set; }
}

/// <summary>Starts AmiActors on a cluster node and gives access to its client.</summary>
public static class AmiCluster
{
    private static readonly Lazy<Config> Defaults = new(() =>
    {
        using var stream = typeof(AmiCluster).Assembly.GetManifestResourceStream("AmiActors.Cluster.cluster.conf")
            ?? throw new InvalidOperationException("AmiActors.Cluster: embedded cluster.conf missing.");
        using var reader = new StreamReader(stream);
        // Sharding, singleton, pub-sub and distributed data bring serializer bindings that must be in place when the system
        // starts (an extension's defaults injected later come too late for serialization, and strict mode refuses the rest).
        return ConfigurationFactory.ParseString(reader.ReadToEnd())
            .WithFallback(ClusterSharding.DefaultConfig())
            .WithFallback(Akka.Cluster.Tools.Singleton.ClusterSingleton.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig())
            .WithFallback(DistributedData.DefaultConfig())
            .WithFallback(AmiSettings.DefaultConfig);
    });

    /// <summary>
    /// The Akka settings this package needs (serializer bindings, sharding's durable keys off) over the <c>ami</c> defaults.
    /// Put it in the actor system's configuration as a fallback when you create the system yourself.
    /// </summary>
    public static Config DefaultConfig => Defaults.Value;

    /// <summary>
    /// Starts the node's part of the AMI cluster: the sharding region of server entities (on nodes with the role) or a
    /// proxy, and the node's <c>ami</c> manager actor; returns the node's <see cref="IAmiClient"/>. The actor system must
    /// be a cluster system with <see cref="DefaultConfig"/> in its configuration.
    /// </summary>
    /// <exception cref="AmiConfigurationException">A setting is invalid, or sharding would use durable keys (which hang on this package set).</exception>
    public static async Task<AmiClusterClient> StartAsync(ActorSystem system, AmiClusterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        options ??= new AmiClusterOptions();
        system.Settings.InjectTopLevelFallback(DefaultConfig);
        var config = system.Settings.Config;
        if (options.Hocon is not null)
        {
            config = ConfigurationFactory.ParseString("ami.cluster {\n" + options.Hocon + "\n}").WithFallback(config);
        }
        var settings = AmiClusterSettings.Create(config);
        if (options.Role is not null)
        {
            settings = settings with { Role = options.Role };
        }
        var local = AmiSettings.Create(config);
        var sharding = ClusterSharding.Get(system);
        var durable = system.Settings.Config.GetStringList("akka.cluster.sharding.distributed-data.durable.keys");
        if (durable is { Count: > 0 })
        {
            throw new AmiConfigurationException("akka.cluster.sharding.distributed-data.durable.keys",
                "must be [] (the LightningDB durable store of this package set fails at run time and sharding hangs); include AmiCluster.DefaultConfig ahead of other sharding settings");
        }
        var cluster = Akka.Cluster.Cluster.Get(system);
        bool host = options.HostConnections ?? (string.IsNullOrEmpty(settings.Role) || cluster.SelfRoles.Contains(settings.Role));
        string? role = string.IsNullOrEmpty(settings.Role) ? null : settings.Role;
        var replicator = DistributedData.Get(system).Replicator;
        var mediator = DistributedPubSub.Get(system).Mediator;
        var resolver = new AmiSecretResolver(settings with { Secrets = MergeSecrets(settings.Secrets, options.Secrets) }, local, options.SecretResolver);
        var context = new AmiClusterContext(settings, local, replicator, mediator, resolver);

        IActorRef region;
        if (host)
        {
            var shardConfig = ConfigurationFactory.ParseString(
                    "remember-entities = on\nstate-store-mode = ddata\nremember-entities-store = ddata\npassivate-idle-entity-after = off\n" +
                    $"role = \"{role ?? ""}\"")
                .WithFallback(system.Settings.Config.GetConfig("akka.cluster.sharding"));
            var shardSettings = ClusterShardingSettings.Create(shardConfig, system.Settings.Config.GetConfig("akka.cluster.singleton"));
            region = await sharding.StartAsync(settings.TypeName, id => AmiServerEntityActor.Props(id, context), shardSettings,
                AmiServerMessageExtractor.Instance, new AmiShardAllocationStrategy(), AmiClusterProtocol.HandOff.Instance).ConfigureAwait(false);
        }
        else
        {
            region = await sharding.StartProxyAsync(settings.TypeName, role!, AmiServerMessageExtractor.Instance).ConfigureAwait(false);
        }
        var manager = system.ActorOf(AmiClusterManagerActor.Props(context, region), AmiManager.ActorName);
        return new AmiClusterClient(manager, system, local, region);
    }

    private static IReadOnlyDictionary<string, string> MergeSecrets(IReadOnlyDictionary<string, string> fromConfig, IDictionary<string, string> fromOptions)
    {
        var merged = new Dictionary<string, string>(fromConfig, StringComparer.Ordinal);
        foreach (var (k, v) in fromOptions)
        {
            merged[k] = v;
        }
        return merged;
    }
}
