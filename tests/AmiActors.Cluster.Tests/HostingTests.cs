using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AmiActors.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class HostingTests
{
    [Fact]
    public async Task WithAmiCluster_starts_the_node_and_resolves_a_secret_reference_from_its_options()
    {
        await using var pbx = await FakeAsteriskServer.StartAsync();
        using var host = new HostBuilder().ConfigureServices(services => services.AddAkka("ami-cluster", (akka, _) => akka
            .AddHocon(ConfigurationFactory.ParseString(TestCluster.NodeConfig(["ami"])), HoconAddMode.Prepend)
            .WithAmiCluster(o => o.Secrets["hosted"] = TestCluster.Secret))).Build();
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var cluster = Akka.Cluster.Cluster.Get(system);
            await cluster.JoinAsync(cluster.SelfAddress);
            var client = await system.GetAmiClusterClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(client.Manager, await ActorRegistry.For(system).GetAsync<AmiClusterManagerKey>());

            await client.AddServerAsync(new AmiServerDefinition("pbx1", "127.0.0.1", pbx.Port, "admin", "secret:hosted"));
            await TestCluster.WaitUntilAsync(async () => (await client.GetServersAsync()).SingleOrDefault() is { State: AmiConnectionState.Connected, Node: not null },
                "pbx1 connected");
            Assert.Equal("Pong", (await client.SendAsync("pbx1", new AmiAction("Ping"))).Response.Get("Ping"));
            Assert.Single(pbx.Sessions);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
