using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using AmiActors.TestKit;

namespace AmiActors.Cluster.Tests;

/// <summary>Cluster tests run one at a time: each starts real Akka.Remote nodes on 127.0.0.1 and takes several seconds.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}

/// <summary>One node of a test cluster: its actor system and its IAmiClient.</summary>
public sealed class TestNode(ActorSystem system, AmiClusterClient client, string name)
{
    public ActorSystem System { get; } = system;
    public AmiClusterClient Client { get; } = client;
    public string Name { get; } = name;
    public string Address { get; } = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
    public bool Alive { get; set; } = true;
}

/// <summary>Nodes on 127.0.0.1 port 0 in this process, joined into one cluster, with test timings for failure detection and downing.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string Secret = "amp111";
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private readonly List<FakeAsteriskServer> _pbxs = new();

    public List<TestNode> Nodes { get; } = new();


    public IReadOnlyList<FakeAsteriskServer> Pbxs => _pbxs;

    public static string NodeConfig(IEnumerable<string> roles, string extra = "") => $$"""
        akka {
          loglevel = WARNING
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          actor.provider = cluster
          actor.serialization-settings.allow-unregistered-types = off
          remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
          cluster {
            roles = [{{string.Join(",", roles.Select(r => "\"" + r + "\""))}}]
            split-brain-resolver.stable-after = 3s
            failure-detector.acceptable-heartbeat-pause = 2s
            failure-detector.heartbeat-interval = 500ms
            downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
          }
          coordinated-shutdown.run-by-actor-system-terminate = off
        }
        ami {
          reconnect { min-backoff = 100ms, max-backoff = 500ms }
          shutdown.drain-timeout = 2s
          cluster {
            keep-alive-interval = 500ms
            state-refresh-interval = 1s
            secrets.pbx = "{{Secret}}"
          }
        }
        {{extra}}
        """;

    /// <summary>Starts <paramref name="roles"/>.Count nodes (node i with roles[i]), joins them, starts AmiActors on each.</summary>
    public static async Task<TestCluster> StartAsync(IReadOnlyList<string[]> roles, string extra = "")
    {
        var cluster = new TestCluster();
        try
        {
            var systems = roles.Select((r, i) => ActorSystem.Create("ami-cluster",
                ConfigurationFactory.ParseString(NodeConfig(r, extra)).WithFallback(AmiCluster.DefaultConfig))).ToList();
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            await Task.WhenAll(systems.Select(s => Akka.Cluster.Cluster.Get(s).JoinAsync(seed)));
            await WaitUntilAsync(() => systems.All(s => Akka.Cluster.Cluster.Get(s).State.Members.Count(m => m.Status == MemberStatus.Up) == systems.Count),
                "every node sees every node Up");
            for (int i = 0; i < systems.Count; i++)
            {
                var client = await AmiCluster.StartAsync(systems[i]);
                cluster.Nodes.Add(new TestNode(systems[i], client, "node" + (i + 1)));
            }
            await cluster.WaitForTopicsAsync();
            await cluster.WaitForRegionsAsync(roles.Count(r => r.Contains("ami")));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Every live node's mediator knows the topics of every live node: a probe topic subscribed after AmiActors started is
    /// delivered from every node to every node (pub-sub gossips each node's registry as a whole, so the AmiActors topics
    /// registered earlier are known too).
    /// </summary>
    public async Task WaitForTopicsAsync()
    {
        var live = Nodes.Where(n => n.Alive).ToList();
        string topic = "probe-" + Guid.NewGuid().ToString("N");
        var inboxes = new List<ConcurrentQueue<object>>();
        foreach (var node in live)
        {
            var (actor, messages) = Collectors.Start(node.System, topic);
            DistributedPubSub.Get(node.System).Mediator.Tell(new Subscribe(topic, actor));
            inboxes.Add(messages);
        }
        await WaitUntilAsync(() =>
        {
            foreach (var node in live)
            {
                DistributedPubSub.Get(node.System).Mediator.Tell(new Publish(topic, node.Name));
            }
            return live.Count == inboxes.Count && inboxes.All(q => live.All(n => q.Contains(n.Name)));
        }, "pub-sub topics known on every node");
        foreach (var node in live)
        {
            await node.System.ActorSelection("/user/" + topic).ResolveOne(TimeSpan.FromSeconds(3)).ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    DistributedPubSub.Get(node.System).Mediator.Tell(new Unsubscribe(topic, t.Result));
                    node.System.Stop(t.Result);
                }
            });
        }
    }

    /// <summary>The shard coordinator knows every hosting node's region (so new servers spread over all of them).</summary>
    public async Task WaitForRegionsAsync(int hosting) =>
        await WaitUntilAsync(async () =>
        {
            foreach (var node in Nodes.Where(n => n.Alive))
            {
                var regions = await node.Client.Region.Ask<Akka.Cluster.Sharding.CurrentRegions>(Akka.Cluster.Sharding.GetCurrentRegions.Instance, TimeSpan.FromSeconds(3));
                if (regions.Regions.Count != hosting)
                {
                    return false;
                }
            }
            return true;
        }, $"the coordinator knows {hosting} regions");

    public async Task<FakeAsteriskServer> StartPbxAsync(FakeAsteriskOptions? options = null)
    {
        var pbx = await FakeAsteriskServer.StartAsync(options ?? new FakeAsteriskOptions { FailedLoginDelay = TimeSpan.FromMilliseconds(50) });
        _pbxs.Add(pbx);
        return pbx;
    }

    /// <summary>Starts one fake PBX per id (set up by <paramref name="setup"/>) and adds each as a server from <paramref name="from"/>.</summary>
    public async Task AddPbxsAsync(TestNode from, string[] ids, Action<FakeAsteriskServer>? setup = null)
    {
        foreach (var id in ids)
        {
            var pbx = await StartPbxAsync();
            setup?.Invoke(pbx);
            await from.Client.AddServerAsync(Definition(id, pbx));
        }
    }

    public static AmiServerDefinition Definition(string id, FakeAsteriskServer pbx) => new(id, "127.0.0.1", pbx.Port, "admin", "secret:pbx");

    /// <summary>Waits until every live node reports every id Connected on a live node; returns id -> hosting node address.</summary>
    public Task<Dictionary<string, string>> WaitConnectedAsync(params string[] ids) => WaitConnectedAsync(Long, ids);

    /// <summary><see cref="WaitConnectedAsync(string[])"/> with its own time limit.</summary>
    public async Task<Dictionary<string, string>> WaitConnectedAsync(TimeSpan timeout, params string[] ids)
    {
        var live = Nodes.Where(n => n.Alive).Select(n => n.Address).ToHashSet();
        Dictionary<string, string> hosts = new();
        await WaitUntilAsync(async () =>
        {
            foreach (var node in Nodes.Where(n => n.Alive))
            {
                var servers = await node.Client.GetServersAsync();
                foreach (var id in ids)
                {
                    var s = servers.FirstOrDefault(x => x.ServerId == id);
                    if (s is null || s.State != AmiConnectionState.Connected || s.Node is null || !live.Contains(s.Node))
                    {
                        return false;
                    }
                    hosts[id] = s.Node;
                }
            }
            return true;
        }, "servers " + string.Join(",", ids) + " connected on live nodes", timeout);
        return hosts;
    }

    public TestNode NodeAt(string address) => Nodes.Single(n => n.Address == address);

    /// <summary>Stops a node without leaving the cluster (its TCP connections close; the others must detect and down it).</summary>
    public async Task CrashAsync(TestNode node)
    {
        node.Alive = false;
        await node.System.Terminate();
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        await WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        var limit = timeout ?? Long;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception) when (sw.Elapsed < limit)
            {
                // not yet
            }
            if (sw.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting until {what}.");
            }
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Nodes.Where(n => n.Alive).Select(n => n.System.Terminate()));
        foreach (var pbx in _pbxs)
        {
            await pbx.DisposeAsync();
        }
    }
}

/// <summary>An actor that records what it receives, for tests outside a TestKit.</summary>
public sealed class Collector : ReceiveActor
{
    public Collector(ConcurrentQueue<object> messages) => ReceiveAny(messages.Enqueue);

    public static (IActorRef Actor, ConcurrentQueue<object> Messages) Start(ActorSystem system, string name) => Collectors.Start(system, name);
}

internal static class Collectors
{
    public static (IActorRef Actor, ConcurrentQueue<object> Messages) Start(ActorSystem system, string name)
    {
        var messages = new ConcurrentQueue<object>();
        return (system.ActorOf(Props.Create(() => new Collector(messages)), name), messages);
    }
}
