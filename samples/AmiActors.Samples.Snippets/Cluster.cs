using Akka.Actor;
using Akka.Hosting;
using AmiActors.Cluster;
using AmiActors.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace AmiActors.Samples.Snippets;

/// <summary>The code of docs/cluster.md: a node of an AmiActors cluster, and using it from any node.</summary>
public static class Cluster
{
    public static void Hosting(IServiceCollection services, Func<string, string?> readVault)
    {
        services.AddAkka("ami-cluster", (akka, sp) => akka
            .AddHocon("""
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = "0.0.0.0", port = 4053 }
                akka.cluster { roles = ["ami"], seed-nodes = ["akka.tcp://ami-cluster@node1:4053"] }
                """, HoconAddMode.Prepend)
            .WithAmiCluster(o =>
            {
                o.SecretResolver = name => readVault(name);   // resolves "secret:NAME" on the hosting node only
            }));
    }

    public static async Task<AmiActionResult> FromAnyNode(ActorSystem actorSystem)
    {
        var ami = await actorSystem.GetAmiClusterClientAsync();
        await ami.AddServerAsync(new AmiServerDefinition("pbx1", "10.0.0.5", 5038, "dialer", "env:PBX1_SECRET"));
        var reply = await ami.SendAsync("pbx1", new AmiAction("Ping"));
        return reply;
    }
}
