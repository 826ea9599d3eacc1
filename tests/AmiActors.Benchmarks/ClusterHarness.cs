using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using AmiActors.Cluster;
using AmiActors.Protocol;
using AmiActors.TestKit;
using AmiActors.Testing;
using static AmiActors.Benchmarks.RuntimeHarness;

namespace AmiActors.Benchmarks;

/// <summary>
/// Two cluster nodes in this process on 127.0.0.1: node A hosts the PBX's connection, node B has no role (proxy).
/// Events/s to a subscriber on A (same node) and on B (across nodes), Ping round trips and 100-in-flight Pings from A and
/// from B, in interleaved rounds.
/// </summary>
public sealed class ClusterHarness : IHarness
{
    public string Name => "cluster";

    public string Description => "two nodes: events/s to a subscriber on the hosting node vs. another node; Ping round trips and 100 in flight from either";

    public async Task<int> RunAsync(string[] args)
    {
        int events = Arg(args, "--events", 200_000);
        int pings = Arg(args, "--pings", 5_000);
        int pipelined = Arg(args, "--pipelined", 50_000);
        int rounds = Math.Max(1, Arg(args, "--rounds", 3));
        var template = FakeEventTemplates.FromCaptureFile(CapturedFixtures.Fixture("event-stream-2000.recv.txt"));
        var a = await StartNodeAsync(["ami"]);
        var b = await StartNodeAsync([]);
        try
        {
            var seed = Akka.Cluster.Cluster.Get(a.System).SelfAddress;
            await Task.WhenAll(Akka.Cluster.Cluster.Get(a.System).JoinAsync(seed), Akka.Cluster.Cluster.Get(b.System).JoinAsync(seed));
            await using var pbx = await FakeAsteriskServer.StartAsync();
            await b.Client.AddServerAsync(new AmiServerDefinition("pbx1", "127.0.0.1", pbx.Port, "admin", "secret:pbx"));
            while ((await b.Client.GetServersAsync()).SingleOrDefault() is not { State: AmiConnectionState.Connected })
            {
                await Task.Delay(100);
            }
            await WaitForHubsAsync(a.System);
            var session = (await pbx.WaitForLoginsAsync(1)).Single();
            Console.WriteLine($"cluster harness: 2 nodes in one process (127.0.0.1), PBX hosted on node A; {events:N0} events (event-stream-2000 templates), {pings:N0} sequential Pings, {pipelined:N0} Pings with 100 in flight; {rounds} interleaved rounds after one warm-up round");

            var same = new List<double>();
            var cross = new List<double>();
            var share = new List<double>();
            var seqA = new List<double>();
            var seqB = new List<double>();
            var pipeA = new List<double>();
            var pipeB = new List<double>();
            for (int round = 0; round <= rounds; round++)
            {
                double s = await DeliverAsync(a, pbx, session, template, events);
                double c = await DeliverAsync(b, pbx, session, template, events);
                double pa = await SequentialAsync(a.Client, pings);
                double pb = await SequentialAsync(b.Client, pings);
                double fa = await InFlightAsync(a.Client, pipelined, 100);
                double fb = await InFlightAsync(b.Client, pipelined, 100);
                if (round == 0)
                {
                    continue; // warm-up
                }
                same.Add(s);
                cross.Add(c);
                share.Add(c / s);
                seqA.Add(pa);
                seqB.Add(pb);
                pipeA.Add(fa);
                pipeB.Add(fb);
            }
            Console.WriteLine($"events to a subscriber on the hosting node: {Spread(same)}");
            Console.WriteLine($"events to a subscriber on another node: {Spread(cross)}; median {Median(share):P0} of the same-node figure in the same round");
            Console.WriteLine($"sequential Ping round trips from the hosting node: {Spread(seqA)}");
            Console.WriteLine($"sequential Ping round trips from another node: {Spread(seqB)}");
            Console.WriteLine($"Pings with 100 in flight from the hosting node: {Spread(pipeA)}");
            Console.WriteLine($"Pings with 100 in flight from another node: {Spread(pipeB)}");
            return 0;
        }
        finally
        {
            await Task.WhenAll(a.System.Terminate(), b.System.Terminate());
        }
    }

    private static async Task<(ActorSystem System, AmiClusterClient Client)> StartNodeAsync(string[] roles)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = WARNING
              log-dead-letters = off
              actor.provider = cluster
              actor.serialization-settings.allow-unregistered-types = off
              remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
              cluster.roles = [{{string.Join(",", roles.Select(r => "\"" + r + "\""))}}]
            }
            ami.cluster.secrets.pbx = "amp111"
            """).WithFallback(AmiCluster.DefaultConfig);
        var system = ActorSystem.Create("ami-bench", config);
        return (system, await AmiCluster.StartAsync(system));
    }

    // Both hubs registered in pub-sub as seen from the hosting node (events and state topic on two nodes).
    private static async Task WaitForHubsAsync(ActorSystem hosting)
    {
        var mediator = DistributedPubSub.Get(hosting).Mediator;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            var topics = await mediator.Ask<CurrentTopics>(GetTopics.Instance, TimeSpan.FromSeconds(3));
            if (topics.Topics.Count >= 2)
            {
                await Task.Delay(TimeSpan.FromSeconds(3)); // gossip of the other node's registrations (1 s interval)
                return;
            }
            await Task.Delay(100);
        }
    }

    private static async Task<double> DeliverAsync((ActorSystem System, AmiClusterClient Client) node, FakeAsteriskServer pbx, FakeAmiSession session, byte[] template, int count)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var counter = node.System.ActorOf(Props.Create(() => new Counter(count, done)));
        await node.Client.SubscribeAsync(counter, "pbx1");
        var sw = Stopwatch.StartNew();
        _ = pbx.FloodEventsAsync(session, template, count);
        if (await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(60))) != done.Task)
        {
            var status = (await node.Client.GetServersAsync()).Single();
            throw new TimeoutException($"events: not all {count:N0} delivered within 60 s; dropped on the hosting node so far: {status.EventsDropped:N0}");
        }
        sw.Stop();
        await node.Client.UnsubscribeAsync(counter, "pbx1");
        node.System.Stop(counter);
        return count / sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> SequentialAsync(IAmiClient client, int count)
    {
        var ping = new AmiAction("Ping");
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            await client.SendAsync("pbx1", ping);
        }
        return count / sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> InFlightAsync(IAmiClient client, int count, int inFlight)
    {
        var ping = new AmiAction("Ping");
        int next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                await client.SendAsync("pbx1", ping);
            }
        }));
        return count / sw.Elapsed.TotalSeconds;
    }

    private sealed class Counter : ReceiveActor
    {
        public Counter(int target, TaskCompletionSource<bool> done)
        {
            int count = 0;
            Receive<AmiEventReceived>(_ =>
            {
                if (++count == target)
                {
                    done.TrySetResult(true);
                }
            });
            ReceiveAny(_ => { });
        }
    }
}
