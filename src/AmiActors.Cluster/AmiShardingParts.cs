using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using static AmiActors.Cluster.AmiClusterProtocol;

namespace AmiActors.Cluster;

/// <summary>Entity id = shard id = server id, so each PBX moves alone.</summary>
internal sealed class AmiServerMessageExtractor : IMessageExtractor
{
    public static readonly AmiServerMessageExtractor Instance = new();

    public string? EntityId(object message) => message switch
    {
        EntitySend s => s.Send.ServerId,
        AmiManager.SendAction s => s.ServerId,
        GetServerState g => g.ServerId,
        _ => null,
    };

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => EntityId(message);

    public string ShardId(string entityId, object? messageHint = null) => entityId;
}

/// <summary>
/// New shards go to the region with the fewest; live shards are never rebalanced (moving a shard moves a TCP connection
/// and leaves a gap in its events). Shards of nodes that leave or are downed are still reallocated by the coordinator.
/// </summary>
internal sealed class AmiShardAllocationStrategy : IShardAllocationStrategy
{
    private static readonly Task<IImmutableSet<string>> Nothing = Task.FromResult<IImmutableSet<string>>(ImmutableHashSet<string>.Empty);

    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        // Fewest shards first; ties go to the region of the lowest address, so every coordinator decides the same way.
        var region = currentShardAllocations
            .OrderBy(kv => kv.Value.Count)
            .ThenBy(kv => kv.Key.Path.ToString(), StringComparer.Ordinal)
            .Select(kv => kv.Key)
            .FirstOrDefault() ?? requester;
        return Task.FromResult(region);
    }

    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress) =>
        Nothing;
}
