using System.Diagnostics;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class SteadyClusterTests(ITestOutputHelper output)
{
    private static readonly string[] Ami = ["ami"];

    [Fact]
    public async Task Each_PBX_has_one_logged_in_session_in_the_cluster_and_answers_an_Ask_from_every_node()
    {
        await using var cluster = await TestCluster.StartAsync([Ami, Ami, Ami]);
        var ids = new[] { "pbx1", "pbx2", "pbx3" };
        await cluster.AddPbxsAsync(cluster.Nodes[2], ids);
        var hosts = await cluster.WaitConnectedAsync(ids);
        output.WriteLine(string.Join(", ", hosts.Select(h => $"{h.Key}@{h.Value}")));
        // One shard per server, fewest shards first: the three PBXs spread over the three nodes.
        Assert.Equal(3, hosts.Values.Distinct().Count());

        foreach (var node in cluster.Nodes)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                var reply = await node.Client.SendAsync(ids[i], new AmiAction("Ping"));
                Assert.Equal(ids[i], reply.ServerId);
                Assert.Equal("Pong", reply.Response.Get("Ping"));
            }
        }
        // Stable cluster: still exactly one session per PBX, logged in, and every Ping got there once.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        foreach (var pbx in cluster.Pbxs)
        {
            Assert.Single(pbx.Sessions);
            Assert.True(pbx.Sessions[0].IsAuthenticated);
            Assert.Equal(1, pbx.ConnectionCount);
            Assert.Equal(cluster.Nodes.Count, pbx.ReceivedActions.Count(a => a.Name == "Ping"));
        }
    }

    [Fact]
    public async Task Events_of_every_PBX_reach_a_subscriber_on_every_node_once_each_and_in_order()
    {
        await using var cluster = await TestCluster.StartAsync([Ami, Ami, Ami]);
        var ids = new[] { "pbx1", "pbx2", "pbx3" };
        await cluster.AddPbxsAsync(cluster.Nodes[0], ids);
        await cluster.WaitConnectedAsync(ids);
        var collectors = new List<System.Collections.Concurrent.ConcurrentQueue<object>>();
        foreach (var node in cluster.Nodes)
        {
            var (actor, messages) = Collector.Start(node.System, "events");
            await node.Client.SubscribeAsync(actor, null, "UserEvent");
            collectors.Add(messages);
        }
        const int perPbx = 300;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(cluster.Pbxs.Select(async pbx =>
        {
            for (int i = 0; i < perPbx; i++)
            {
                await pbx.EmitEventAsync(("Event", "UserEvent"), ("UserEvent", "Seq"), ("Seq", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }));
        await TestCluster.WaitUntilAsync(() => collectors.All(c => c.Count >= perPbx * ids.Length), "every subscriber has every event");
        output.WriteLine($"{perPbx * ids.Length} events to 3 nodes in {sw.ElapsedMilliseconds} ms");
        await Task.Delay(500); // a duplicate would arrive by now
        foreach (var messages in collectors)
        {
            var events = messages.OfType<AmiEventReceived>().ToList();
            Assert.Equal(perPbx * ids.Length, events.Count);
            foreach (var id in ids)
            {
                var seq = events.Where(e => e.ServerId == id).Select(e => int.Parse(e.Event.Get("Seq")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
                Assert.Equal(Enumerable.Range(0, perPbx), seq);
            }
            Assert.All(events, e => Assert.NotEqual(typeof(AmiEventReceived), e.GetType())); // the typed subclass travels too
        }
    }
}
