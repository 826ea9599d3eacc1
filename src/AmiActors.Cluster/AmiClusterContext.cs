using Akka.Actor;
using Akka.DistributedData;

namespace AmiActors.Cluster;

/// <summary>What a node's AmiActors cluster actors share: settings, the replicator, the pub-sub mediator, the secret resolver.</summary>
internal sealed class AmiClusterContext(AmiClusterSettings settings, AmiSettings localSettings, IActorRef replicator, IActorRef mediator, AmiSecretResolver secrets)
{
    /// <summary>The replicated server definitions (by server id).</summary>
    public static readonly LWWDictionaryKey<string, AmiClusterServer> ServersKey = new("ami-servers");

    public AmiClusterSettings Settings { get; } = settings;

    /// <summary>This node's <c>ami</c> settings (timeouts, and the <c>ami.servers</c> whose secrets <c>config:ID</c> resolves).</summary>
    public AmiSettings LocalSettings { get; } = localSettings;

    public IActorRef Replicator { get; } = replicator;

    public IActorRef Mediator { get; } = mediator;

    public AmiSecretResolver Secrets { get; } = secrets;
}
