using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;

namespace AmiActors.Cluster;

/// <summary>The registry key of a node's AMI cluster manager (the <c>ami</c> actor).</summary>
public sealed class AmiClusterManagerKey;

/// <summary>Akka.Hosting integration: <c>akka.WithAmiCluster(...)</c>.</summary>
public static class AmiClusterHostingExtensions
{
    private static readonly ConditionalWeakTable<ActorSystem, TaskCompletionSource<AmiClusterClient>> Clients = new();

    /// <summary>
    /// Runs AmiActors on this cluster node: the sharding region (nodes with <see cref="AmiClusterOptions.Role"/>, default
    /// <c>ami</c>) or proxy, and the node's <c>ami</c> manager, registered as <see cref="AmiClusterManagerKey"/>. Configure
    /// remoting and clustering as usual (WithRemoting, WithClustering); servers come from <c>ami.servers</c> (seeded
    /// cluster-wide) or <see cref="IAmiClient.AddServerAsync"/> on any node.
    /// </summary>
    public static AkkaConfigurationBuilder WithAmiCluster(this AkkaConfigurationBuilder builder, Action<AmiClusterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new AmiClusterOptions();
        configure?.Invoke(options);
        return builder.WithAmiCluster(options);
    }

    /// <summary>Runs AmiActors on this cluster node with <paramref name="options"/>.</summary>
    public static AkkaConfigurationBuilder WithAmiCluster(this AkkaConfigurationBuilder builder, AmiClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        // Ahead of everything: sharding's default durable keys hang on this package set.
        var first = "akka.cluster.sharding.distributed-data.durable.keys = []\n" +
            (options.StrictSerialization ? "akka.actor.serialization-settings.allow-unregistered-types = off\n" : "") +
            (options.Role is null ? "" : $"ami.cluster.role = \"{options.Role}\"\n");
        builder.AddHocon(ConfigurationFactory.ParseString(first), HoconAddMode.Prepend);
        builder.AddHocon(AmiCluster.DefaultConfig, HoconAddMode.Append);
        builder.AddStartup(async (system, registry) =>
        {
            var client = await AmiCluster.StartAsync(system, options).ConfigureAwait(false);
            registry.Register<AmiClusterManagerKey>(client.Manager);
            Clients.GetOrCreateValue(system).TrySetResult(client);
        });
        return builder;
    }

    /// <summary>The node's <see cref="IAmiClient"/> once <c>WithAmiCluster</c> has started it.</summary>
    public static Task<AmiClusterClient> GetAmiClusterClientAsync(this ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return Clients.GetOrCreateValue(system).Task;
    }
}
