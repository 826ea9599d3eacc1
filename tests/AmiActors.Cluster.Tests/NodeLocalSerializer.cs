using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Serialization;

namespace AmiActors.Cluster.Tests;

/// <summary>
/// Test-only: with <c>serialize-messages = on</c>, lets the core's node-local messages (which never cross nodes and have
/// no wire format, such as the event router's batches) through by reference, so the check covers everything else.
/// </summary>
public sealed class NodeLocalSerializer(ExtendedActorSystem system) : Serializer(system)
{
    private static readonly ConcurrentDictionary<long, object> Objects = new();
    private static long _next;

    public override int Identifier => 7899;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        long id = Interlocked.Increment(ref _next);
        Objects[id] = obj;
        return BitConverter.GetBytes(id);
    }

    public override object FromBinary(byte[] bytes, Type? type) =>
        Objects.TryRemove(BitConverter.ToInt64(bytes), out var obj) ? obj : throw new InvalidOperationException("unknown reference");
}
