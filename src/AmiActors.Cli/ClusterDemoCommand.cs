using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Cluster;
using AmiActors.TestKit;
using AmiActors.TestKit.Simulation;

namespace AmiActors.Cli;

/// <summary>
/// <c>ami demo --nodes N</c>: N AmiActors.Cluster nodes in this process (Akka.Remote on 127.0.0.1, port 0, joined to the
/// first), several fake Asterisks with simulated calls added cluster-wide, and a view of which node hosts which PBX and
/// the event rate per node; <c>--crash-node-after</c> stops a hosting node without leaving the cluster.
/// </summary>
internal static class ClusterDemoCommand
{
    private const string SystemName = "ami-demo";
    private const string SecretName = "demo";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Failure detection and downing fast enough to watch (the timings of the cluster tests); coordinated shutdown off on
    /// terminate, so stopping a node's actor system is a crash (no graceful leave), not a hand-off.
    /// </summary>
    private static string NodeConfig(int node) => $$"""
        akka {
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          stdout-loglevel = OFF
          actor.provider = cluster
          remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
          cluster {
            roles = ["ami"]
            downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
            split-brain-resolver.stable-after = 3s
            failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 2s }
            log-info = off
          }
          coordinated-shutdown.run-by-actor-system-terminate = off
        }
        ami {
          reconnect { min-backoff = 100ms, max-backoff = 1s }
          cluster { keep-alive-interval = 500ms, state-refresh-interval = 1s }
        }
        ami-demo.node = {{node}}
        """;

    public static async Task<int> RunAsync(CliConsole console, int nodeCount, int pbxCount, TimeSpan? duration, TimeSpan? crashAfter, double rate,
        CancellationToken ct)
    {
        string secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var logLevel = console.IsInteractive ? Serilog.Events.LogEventLevel.Error : Serilog.Events.LogEventLevel.Warning;
        using var logging = CliLogging.WriteTo(console.Stderr, logLevel);
        var pbxs = new List<FakeAsteriskServer>();
        var loads = new List<CallSimulation>();
        var nodes = new List<DemoNode>();
        try
        {
            for (int i = 0; i < pbxCount; i++)
            {
                var pbx = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { Users = [new FakeAmiUser("demo", secret)] }, ct).ConfigureAwait(false);
                pbxs.Add(pbx);
                loads.Add(CallSimulation.Start(pbx, new CallSimulatorOptions { CallsPerSecond = rate, Seed = Environment.TickCount + i }));
            }
            var systems = Enumerable.Range(1, nodeCount).Select(i => ActorSystem.Create(SystemName,
                    ConfigurationFactory.ParseString(NodeConfig(i)).WithFallback(CliLogging.AkkaSerilog(logLevel)).WithFallback(AmiCluster.DefaultConfig)))
                .ToList();
            using var starting = CancellationTokenSource.CreateLinkedTokenSource(ct);
            starting.CancelAfter(StartTimeout);
            for (int i = 0; i < systems.Count; i++)
            {
                nodes.Add(new DemoNode("node" + (i + 1).ToString(CultureInfo.InvariantCulture), systems[i]));
            }
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            await Task.WhenAll(systems.Select(s => Akka.Cluster.Cluster.Get(s).JoinAsync(seed, starting.Token))).ConfigureAwait(false);
            await WaitUntilAsync(() => Task.FromResult(systems.All(s =>
                Akka.Cluster.Cluster.Get(s).State.Members.Count(m => m.Status == MemberStatus.Up) == systems.Count)), starting.Token).ConfigureAwait(false);
            foreach (var node in nodes)
            {
                var options = new AmiClusterOptions();
                options.Secrets[SecretName] = secret;
                node.Client = await AmiCluster.StartAsync(node.System, options).ConfigureAwait(false);
            }
            // New servers go to the region with the fewest: wait until the coordinator knows every node's region.
            await WaitUntilAsync(async () =>
            {
                var regions = await nodes[0].Client!.Region.Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(3)).ConfigureAwait(false);
                return regions.Regions.Count == nodeCount;
            }, starting.Token).ConfigureAwait(false);

            var stats = new ClusterDemoStats(nodes.Select(n => n.Name).ToList(), Enumerable.Range(1, pbxCount).Select(PbxId).ToList());
            var materializers = nodes.Select(n => n.System.Materializer()).ToList();
            for (int i = 0; i < nodes.Count; i++)
            {
                int index = i;
                var (killSwitch, done) = nodes[i].Client!.Events(null, null, bufferSize: 65_536)
                    .ViaMaterialized(KillSwitches.Single<AmiEventReceived>(), Keep.Right)
                    .ToMaterialized(Sink.ForEach<AmiEventReceived>(e => stats.OnEvent(index, e.ServerId)), Keep.Both)
                    .Run(materializers[i]);
                nodes[i].Events = killSwitch;
                nodes[i].EventsDone = done;
            }
            for (int i = 0; i < pbxCount; i++)
            {
                await nodes[0].Client!.AddServerAsync(new AmiServerDefinition(PbxId(i + 1), "127.0.0.1", pbxs[i].Port, "demo", "secret:" + SecretName), starting.Token)
                    .ConfigureAwait(false);
            }
            await WaitUntilAsync(async () =>
            {
                var servers = await nodes[0].Client!.GetServersAsync(starting.Token).ConfigureAwait(false);
                return servers.Count == pbxCount && servers.All(s => s.State == AmiConnectionState.Connected && s.Node is not null);
            }, starting.Token).ConfigureAwait(false);

            string header = string.Create(CultureInfo.InvariantCulture,
                $"ami demo: {nodeCount} cluster nodes on 127.0.0.1 ({string.Join(", ", nodes.Select(n => $"{n.Name} {n.Address}"))}), {pbxCount} simulated Asterisks, {rate:0.#} new calls/s each; servers added cluster-wide from node1.");
            return await WatchAsync(console, nodes, stats, loads, header, duration, crashAfter, rate, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Failure, $"ami demo: the {nodeCount}-node cluster did not come up within {StartTimeout.TotalSeconds:0} s.");
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Events?.Shutdown();
            }
            await Task.WhenAll(nodes.Where(n => n.Alive).Select(n => n.System.Terminate().WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
            foreach (var load in loads)
            {
                await load.DisposeAsync().ConfigureAwait(false);
            }
            foreach (var pbx in pbxs)
            {
                await pbx.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<int> WatchAsync(CliConsole console, List<DemoNode> nodes, ClusterDemoStats stats, List<CallSimulation> loads, string header,
        TimeSpan? duration, TimeSpan? crashAfter, double rate, CancellationToken ct)
    {
        // --duration counts from the moment every PBX is connected.
        using var stopAt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (duration is { } d)
        {
            stopAt.CancelAfter(d);
        }
        var token = stopAt.Token;
        var started = Stopwatch.GetTimestamp();
        var observer = nodes[0];
        long? crashedAt = null;
        if (!console.IsInteractive)
        {
            await console.Stdout.WriteLineAsync(header).ConfigureAwait(false);
        }
        using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(1)))
        {
            try
            {
                while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
                {
                    var elapsed = Stopwatch.GetElapsedTime(started);
                    var servers = await observer.Client!.GetServersAsync(token).ConfigureAwait(false);
                    var notes = new List<string>();
                    foreach (var s in servers)
                    {
                        string? host = s.Node is null ? null : nodes.FirstOrDefault(n => n.Address == s.Node)?.Name ?? s.Node;
                        if (stats.SetHost(s.ServerId, host, s.State) is { } previous && host is not null)
                        {
                            string since = crashedAt is { } c ? string.Create(CultureInfo.InvariantCulture, $", {Stopwatch.GetElapsedTime(c).TotalSeconds:0.0} s after the crash") : "";
                            notes.Add($"ami demo: {s.ServerId} moved from {previous} to {host}{since}.");
                        }
                    }
                    if (crashAfter is { } after && crashedAt is null && elapsed >= after)
                    {
                        var victim = nodes.Skip(1).FirstOrDefault(n => n.Alive && stats.HostedBy(n.Name).Count > 0);
                        if (victim is not null)
                        {
                            notes.Add($"ami demo: crashing {victim.Name} (hosting {string.Join(",", stats.HostedBy(victim.Name))}): its actor system stops without leaving the cluster.");
                            crashedAt = Stopwatch.GetTimestamp();
                            victim.Alive = false;
                            victim.Events?.Shutdown();
                            stats.OnCrash(victim.Name);
                            await victim.System.Terminate().ConfigureAwait(false);
                        }
                    }
                    stats.Tick(TimeSpan.FromSeconds(1));
                    if (console.IsInteractive)
                    {
                        stats.AddNotes(notes);
                    }
                    var snapshot = stats.Snapshot();
                    if (console.IsInteractive)
                    {
                        await console.Stdout.WriteAsync(ClusterLiveView.Screen(header, elapsed, snapshot)).ConfigureAwait(false);
                    }
                    else
                    {
                        foreach (var line in notes.Concat(ClusterLiveView.Lines(elapsed, snapshot)))
                        {
                            await console.Stdout.WriteLineAsync(line).ConfigureAwait(false);
                        }
                    }
                    await console.Stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Ctrl+C or --duration: stop below.
            }
        }
        foreach (var node in nodes)
        {
            node.Events?.Shutdown();
        }
        // A crashed node's stream ended with its actor system (its task may never complete): only the live ones are awaited.
        await Task.WhenAll(nodes.Where(n => n.Alive && n.EventsDone is not null)
            .Select(n => n.EventsDone!.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        var final = stats.Snapshot();
        console.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ami demo: stopped after {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s: {string.Join(", ", final.Nodes.Select(n => $"{n.Name} received {n.Received} events"))}; {loads.Sum(l => l.Simulator.CallsStarted)} calls started."));
        return ExitCodes.Success;
    }

    private static string PbxId(int i) => "pbx" + i.ToString(CultureInfo.InvariantCulture);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception e) when (e is AskTimeoutException or AmiException or TimeoutException)
            {
                // Not yet: the cluster is still forming.
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    private sealed class DemoNode(string name, ActorSystem system)
    {
        public string Name { get; } = name;
        public ActorSystem System { get; } = system;
        public string Address { get; } = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
        public AmiClusterClient? Client { get; set; }
        public UniqueKillSwitch? Events { get; set; }
        public Task? EventsDone { get; set; }
        public bool Alive { get; set; } = true;
    }
}
