using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ProxyNodeTests(ITestOutputHelper output)
{
    private static readonly string[] Ami = ["ami"];

    [Fact]
    public async Task A_proxy_only_node_adds_sends_subscribes_and_removes_a_server_hosted_elsewhere()
    {
        await using var cluster = await TestCluster.StartAsync([Ami, Ami, ["web"]]);
        var proxy = cluster.Nodes[2];
        var pbx = await cluster.StartPbxAsync();

        // A secret in clear is refused: it would be replicated to every node.
        await Assert.ThrowsAsync<AmiConfigurationException>(() => proxy.Client.AddServerAsync(TestCluster.Definition("pbx1", pbx) with { Secret = TestCluster.Secret }));

        await proxy.Client.AddServerAsync(TestCluster.Definition("pbx1", pbx));
        var hosts = await cluster.WaitConnectedAsync("pbx1");
        Assert.NotEqual(proxy.Address, hosts["pbx1"]);
        output.WriteLine($"pbx1 hosted on {hosts["pbx1"]}");

        var reply = await proxy.Client.SendAsync("pbx1", new AmiAction("Ping"));
        Assert.Equal("Pong", reply.Response.Get("Ping"));

        var (subscriber, received) = Collector.Start(proxy.System, "sub");
        await proxy.Client.SubscribeAsync(subscriber, "pbx1");
        var streamed = proxy.Client.Events("pbx1", ["UserEvent"]).Take(3).RunWith(Sink.Seq<AmiEventReceived>(), proxy.System.Materializer());
        await Task.Delay(200); // the stream's subscription is a message to the local manager
        for (int i = 0; i < 3; i++)
        {
            await pbx.EmitEventAsync(("Event", "UserEvent"), ("UserEvent", "T"), ("Seq", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        var fromStream = await streamed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["0", "1", "2"], fromStream.Select(e => e.Event.Get("Seq")!));
        await TestCluster.WaitUntilAsync(() => received.OfType<AmiEventReceived>().Count() == 3, "the subscriber on the proxy node has the events");

        await proxy.Client.RemoveServerAsync("pbx1");
        await pbx.WaitForActionAsync("Logoff");
        await TestCluster.WaitUntilAsync(() => pbx.Sessions.Count == 0, "the PBX session closed");
        foreach (var node in cluster.Nodes)
        {
            await TestCluster.WaitUntilAsync(async () => (await node.Client.GetServersAsync()).Count == 0, "the server gone from " + node.Name);
        }
        await Assert.ThrowsAsync<UnknownServerException>(() => proxy.Client.SendAsync("pbx1", new AmiAction("Ping")));
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // keep-alive runs: a removed server is not started again
        Assert.Empty(pbx.Sessions);
    }
}

[Collection(ClusterCollection.Name)]
public sealed class SerializeMessagesTests
{
    [Fact]
    public async Task A_single_node_works_with_every_message_serialized()
    {
        var system = ActorSystem.Create("ami-single", ConfigurationFactory.ParseString(TestCluster.NodeConfig(["ami"], """
            akka.actor.serialize-messages = on
            # Akka's own node-local messages have no binding: let them use the default, only to pass the check.
            akka.actor.serialization-settings.allow-unregistered-types = on
            akka.actor.serializers.node-local = "AmiActors.Cluster.Tests.NodeLocalSerializer, AmiActors.Cluster.Tests"
            akka.actor.serialization-bindings {
              "AmiActors.Actors.AmiEventRouterActor+RouteEvents, AmiActors" = node-local
              # The frames the connection actor hands its correlation actors never leave the node either.
              "AmiActors.Protocol.AmiMessage, AmiActors.Protocol" = node-local
            }
            """)).WithFallback(AmiCluster.DefaultConfig));
        await using var pbx = await FakeAsteriskServer.StartAsync();
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            await cluster.JoinAsync(cluster.SelfAddress);
            var client = await AmiCluster.StartAsync(system);
            await client.AddServerAsync(TestCluster.Definition("pbx1", pbx));
            await TestCluster.WaitUntilAsync(async () => (await client.GetServersAsync()).SingleOrDefault() is { State: AmiConnectionState.Connected, Node: not null }, "pbx1 connected");
            var (subscriber, received) = Collector.Start(system, "sub");
            await client.SubscribeAsync(subscriber, null, "UserEvent");
            await pbx.EmitEventAsync(("Event", "UserEvent"), ("UserEvent", "T"));
            Assert.Equal("Pong", (await client.SendAsync("pbx1", new AmiAction("Ping"))).Response.Get("Ping"));
            await TestCluster.WaitUntilAsync(() => received.OfType<AmiEventReceived>().Any(), "the event");
            await client.RemoveServerAsync("pbx1");
            Assert.Empty(await client.GetServersAsync());
        }
        finally
        {
            await system.Terminate();
        }
    }
}
