using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class FailoverTests(ITestOutputHelper output)
{
    private static readonly string[] Ami = ["ami"];

    [Fact]
    public Task A_crashed_node_s_PBX_reconnects_on_a_survivor_and_its_pending_actions_fail_fast_as_outcome_unknown() =>
        CrashAsync("", TimeSpan.FromSeconds(2), "test timings: acceptable-heartbeat-pause 2 s, stable-after 3 s", TestCluster.Long);

    // Akka's own failure detection and downing (heartbeat every 1 s, 3 s acceptable pause, split-brain resolver stable-after
    // 20 s) and AmiActors' default keep-alive and backoff: what an unconfigured deployment sees.
    [Fact]
    public Task With_Akka_s_default_timings_a_crashed_node_s_PBX_reconnects_on_a_survivor_and_its_pending_actions_fail_fast() =>
        CrashAsync("""
            akka.cluster.failure-detector.heartbeat-interval = 1s
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 3s
            akka.cluster.split-brain-resolver.stable-after = 20s
            ami.cluster.keep-alive-interval = 2s
            ami.cluster.state-refresh-interval = 5s
            ami.reconnect { min-backoff = 500ms, max-backoff = 30s }
            """, TimeSpan.FromSeconds(3), "defaults: acceptable-heartbeat-pause 3 s, stable-after 20 s", TimeSpan.FromSeconds(60));

    private async Task CrashAsync(string extra, TimeSpan heartbeatPause, string timings, TimeSpan reconnectLimit)
    {
        await using var cluster = await TestCluster.StartAsync([Ami, Ami, Ami], extra);
        var ids = new[] { "pbx1", "pbx2", "pbx3" };
        // Never answered: these actions are in flight when their node dies.
        await cluster.AddPbxsAsync(cluster.Nodes[1], ids, pbx => pbx.OnAction("Hold", async c =>
        {
            await Task.Delay(Timeout.Infinite, c.CancellationToken);
            return null;
        }));
        var hosts = await cluster.WaitConnectedAsync(ids);
        // The victim is not the oldest node (which runs the shard coordinator) and hosts at least one PBX.
        var victim = cluster.Nodes.Skip(1).First(n => hosts.ContainsValue(n.Address));
        string moved = hosts.First(h => h.Value == victim.Address).Key;
        var pbxOfMoved = cluster.Pbxs[Array.IndexOf(ids, moved)];
        var asker = cluster.Nodes[0];
        var (states, stateMessages) = Collector.Start(asker.System, "states");
        await asker.Client.SubscribeConnectionStateAsync(states, moved);

        var pending = Enumerable.Range(0, 5).Select(_ => asker.Client.SendAsync(moved, new AmiAction("Hold"), TimeSpan.FromSeconds(60))).ToList();
        // The fake answers a session's actions one at a time: the first is held, the other four wait behind it, all in flight.
        await pbxOfMoved.WaitForActionCountAsync("Hold", 1);

        var sw = Stopwatch.StartNew();
        await cluster.CrashAsync(victim);
        var failures = new List<Exception>();
        foreach (var task in pending)
        {
            failures.Add(await Assert.ThrowsAsync<AmiOutcomeUnknownException>(() => task));
        }
        var failedAfter = sw.Elapsed;
        output.WriteLine($"5 pending actions failed as outcome unknown {failedAfter.TotalSeconds:0.00} s after the crash ({timings})");
        // Unreachable after about the heartbeat pause; the actions fail within 5 s of that, long before their 60 s timeout.
        Assert.True(failedAfter < heartbeatPause + TimeSpan.FromSeconds(5), $"took {failedAfter}");
        Assert.All(failures, e => Assert.Contains(victim.Address, e.Message, StringComparison.Ordinal));

        // While the node is unreachable and not yet downed, nothing is sent to it: refused at once.
        var refused = await Record.ExceptionAsync(() => asker.Client.SendAsync(moved, new AmiAction("Ping")));
        Assert.True(refused is AmiNotConnectedException or null, refused?.ToString());

        var newHosts = await cluster.WaitConnectedAsync(reconnectLimit, ids);
        var reconnectedAfter = sw.Elapsed;
        output.WriteLine($"{moved} connected again on {newHosts[moved]} {reconnectedAfter.TotalSeconds:0.00} s after the crash ({timings})");
        Assert.NotEqual(victim.Address, newHosts[moved]);
        await TestCluster.WaitUntilAsync(() => pbxOfMoved.Sessions.Count == 1 && pbxOfMoved.Sessions[0].IsAuthenticated, "one logged-in session on the moved PBX");
        foreach (var node in cluster.Nodes.Where(n => n.Alive))
        {
            foreach (var id in ids)
            {
                Assert.Equal("Pong", (await node.Client.SendAsync(id, new AmiAction("Ping"))).Response.Get("Ping"));
            }
        }
        // Subscribers were told where the PBX went.
        await TestCluster.WaitUntilAsync(() => stateMessages.OfType<ConnectionStateChanged>().Any(c =>
            c.Current == AmiConnectionState.Connected && c.Reason is { } r && r.Contains(newHosts[moved], StringComparison.Ordinal)), "a state change naming the new node");
        Assert.Contains(stateMessages.OfType<ConnectionStateChanged>(), c => c.Current == AmiConnectionState.Reconnecting && c.Reason!.Contains(victim.Address, StringComparison.Ordinal));
        foreach (var pbx in cluster.Pbxs)
        {
            Assert.Single(pbx.Sessions);
        }
    }

    [Fact]
    public async Task A_node_that_leaves_gracefully_finishes_its_in_flight_actions_logs_off_and_its_PBX_reconnects_elsewhere()
    {
        await using var cluster = await TestCluster.StartAsync([Ami, Ami, Ami]);
        var ids = new[] { "pbx1", "pbx2", "pbx3" };
        await cluster.AddPbxsAsync(cluster.Nodes[0], ids, pbx => pbx.OnAction("Slow", async c =>
        {
            await Task.Delay(300, c.CancellationToken);
            return c.Success("done");
        }));
        var hosts = await cluster.WaitConnectedAsync(ids);
        var leaver = cluster.Nodes.Skip(1).First(n => hosts.ContainsValue(n.Address));
        string moved = hosts.First(h => h.Value == leaver.Address).Key;
        var pbxOfMoved = cluster.Pbxs[Array.IndexOf(ids, moved)];
        var asker = cluster.Nodes[0];
        var (events, received) = Collector.Start(asker.System, "events");
        await asker.Client.SubscribeAsync(events, moved, "UserEvent");

        // A steady event stream from the PBX during the hand-off, to measure the gap.
        using var stop = new CancellationTokenSource();
        var emitted = new ConcurrentDictionary<int, DateTime>();
        var emitter = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                if (await pbxOfMoved.EmitEventAsync(("Event", "UserEvent"), ("UserEvent", "Tick"), ("Seq", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))> 0)
                {
                    emitted[i] = DateTime.UtcNow;
                }
                await Task.Delay(5);
            }
        });
        var inFlight = Enumerable.Range(0, 3).Select(_ => asker.Client.SendRawAsync(moved, new AmiAction("Slow"))).ToList();
        await pbxOfMoved.WaitForActionCountAsync("Slow", 1);

        var sw = Stopwatch.StartNew();
        var leaving = CoordinatedShutdown.Get(leaver.System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        int finished = 0;
        foreach (var task in inFlight)
        {
            try
            {
                Assert.True((await task).IsSuccess);
                finished++;
            }
            catch (AmiOutcomeUnknownException)
            {
                // allowed: the drain ended before the reply
            }
        }
        output.WriteLine($"{finished} of 3 in-flight actions finished during the hand-off; the rest failed as outcome unknown");
        await pbxOfMoved.WaitForActionAsync("Logoff");
        await leaving;
        leaver.Alive = false;
        var newHosts = await cluster.WaitConnectedAsync(ids);
        output.WriteLine($"{moved} connected on {newHosts[moved]} {sw.Elapsed.TotalSeconds:0.00} s after the leave began");
        Assert.NotEqual(leaver.Address, newHosts[moved]);
        await TestCluster.WaitUntilAsync(() => received.Count > 0 && pbxOfMoved.Sessions.Count == 1, "events flowing again");
        int before = received.Count;
        await TestCluster.WaitUntilAsync(() => received.Count > before + 20, "events after the hand-off");
        stop.Cancel();
        await emitter;

        var seqs = received.OfType<AmiEventReceived>().Select(e => int.Parse(e.Event.Get("Seq")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(seqs.Distinct().Count(), seqs.Count);            // none twice
        Assert.Equal(seqs.Order().ToList(), seqs);                     // in order
        int gapAt = Enumerable.Range(1, seqs.Count - 1).MaxBy(i => seqs[i] - seqs[i - 1]);
        var gap = emitted[seqs[gapAt]] - emitted[seqs[gapAt - 1]];
        output.WriteLine($"event gap during the hand-off: {gap.TotalMilliseconds:0} ms ({seqs[gapAt] - seqs[gapAt - 1] - 1} events emitted while no session was logged in)");
        Assert.Single(pbxOfMoved.Sessions);
    }
}
