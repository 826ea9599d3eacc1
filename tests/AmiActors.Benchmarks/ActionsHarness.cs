using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using AmiActors.Protocol;
using AmiActors.TestKit;

namespace AmiActors.Benchmarks;

/// <summary>
/// The action path alone, for comparing two builds of the client in alternating processes: sequential Pings, Pings with N in
/// flight, and 1,000 actions in flight across a forced disconnect (the fault suite's scenario), against the in-process fake server.
/// <c>dotnet run -c Release --project tests/AmiActors.Benchmarks -- actions [--pings N] [--pipelined N] [--in-flight N] [--rounds N] [--fault-actions N] [--config HOCON-FILE]</c>
/// </summary>
public sealed class ActionsHarness : IHarness
{
    public string Name => "actions";

    public string Description => "sequential Pings, Pings with N in flight, 1,000 actions in flight across a disconnect (one line of figures per round)";

    public async Task<int> RunAsync(string[] args)
    {
        int pings = RuntimeHarness.Arg(args, "--pings", 10_000);
        int pipelined = RuntimeHarness.Arg(args, "--pipelined", 100_000);
        int inFlight = RuntimeHarness.Arg(args, "--in-flight", 100);
        int rounds = Math.Max(1, RuntimeHarness.Arg(args, "--rounds", 3));
        int faultActions = RuntimeHarness.Arg(args, "--fault-actions", 1_000);

        string? configFile = ExternalHarness.Option(args, "--config");
        var extra = configFile is null ? Config.Empty : ConfigurationFactory.ParseString(File.ReadAllText(configFile));
        using var system = ActorSystem.Create("bench", extra.WithFallback(ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.log-dead-letters = off")));
        await using var server = await FakeAsteriskServer.StartAsync();
        using var echo = server.OnAction("Echo", ctx => ctx.Success(null, ("Echo", ctx.Header("Payload") ?? "")));
        var settings = AmiSettings.FromSystem(system) with
        {
            HeartbeatInterval = null,
            MinBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromMilliseconds(500),
            Servers = [new AmiServerDefinition("bench", "127.0.0.1", server.Port, "admin", "amp111")],
        };
        var client = AmiClient.Start(system, settings);
        await RuntimeHarness.WaitConnectedAsync(client);
        Console.WriteLine($"actions harness: {pings:N0} sequential Pings, {pipelined:N0} Pings with {inFlight} in flight, {faultActions:N0} Echo actions across a disconnect; {rounds} rounds after one warm-up round; thread-pool spin limit {RuntimeHarness.SpinLimit()}");

        // Warm-up round: JIT tiers, buffers, the thread pool's size.
        await RuntimeHarness.SequentialAsync(client, Math.Min(pings, 5_000));
        await RuntimeHarness.PipelinedAsync(client, Math.Min(pipelined, 20_000), inFlight);
        await FaultAsync(client, server, faultActions);

        var sequential = new List<double>();
        var sequentialCpu = new List<double>();
        var parallel = new List<double>();
        var parallelCpu = new List<double>();
        var settle = new List<double>();
        var after = new List<double>();
        for (int round = 1; round <= rounds; round++)
        {
            var cpu = CpuTime();
            double seq = await RuntimeHarness.SequentialAsync(client, pings);
            double seqCpu = (CpuTime() - cpu).TotalMicroseconds / pings;
            cpu = CpuTime();
            double pipe = await RuntimeHarness.PipelinedAsync(client, pipelined, inFlight);
            double pipeCpu = (CpuTime() - cpu).TotalMicroseconds / pipelined;
            var (settleMs, afterMs) = await FaultAsync(client, server, faultActions);
            sequential.Add(seq);
            sequentialCpu.Add(seqCpu);
            parallel.Add(pipe);
            parallelCpu.Add(pipeCpu);
            settle.Add(settleMs);
            after.Add(afterMs);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: sequential {seq:F0}/s ({seqCpu:F1} us CPU per Ping); {inFlight} in flight {pipe:F0}/s ({pipeCpu:F1} us CPU per Ping); fault: {faultActions} in flight settled {settleMs:F0} ms after the drop, {faultActions} after the reconnect answered in {afterMs:F0} ms"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median: sequential {RuntimeHarness.Median(sequential):F0}/s ({RuntimeHarness.Median(sequentialCpu):F1} us CPU per Ping); {inFlight} in flight {RuntimeHarness.Median(parallel):F0}/s ({RuntimeHarness.Median(parallelCpu):F1} us CPU per Ping); fault settle {RuntimeHarness.Median(settle):F0} ms; after reconnect {RuntimeHarness.Median(after):F0} ms"));
        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
        return 0;
    }

    // CPU time of the whole process (client, actor system and the in-process fake server): less sensitive than rates to other
    // processes competing for the cores.
    private static TimeSpan CpuTime() => Process.GetCurrentProcess().TotalProcessorTime;

    // The fault suite's scenario: the server answers each action after 2 ms; once it has read 100 (or half of them, if fewer),
    // every session is dropped. Every
    // action must end (its reply or AmiConnectionLostException); then, after the reconnect, as many again all get their replies.
    private static async Task<(double SettleMs, double AfterMs)> FaultAsync(AmiClient client, FakeAsteriskServer server, int count)
    {
        int before = server.ReceivedActions.Count(a => a.Is("Echo"));
        server.Faults.ResponseDelay = TimeSpan.FromMilliseconds(2);
        var tasks = Enumerable.Range(0, count).Select(i => EchoAsync(client, i)).ToArray();
        await server.WaitForActionCountAsync("Echo", before + Math.Min(100, count / 2), TimeSpan.FromSeconds(30));
        var sw = Stopwatch.StartNew();
        await server.Faults.DropAllSessionsAsync();
        var outcomes = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        double settleMs = sw.Elapsed.TotalMilliseconds;
        if (!outcomes.Contains(false))
        {
            Console.WriteLine("  (the drop came after every reply)");
        }
        server.Faults.ResponseDelay = TimeSpan.Zero;
        await RuntimeHarness.WaitConnectedAsync(client);
        sw.Restart();
        var again = await Task.WhenAll(Enumerable.Range(0, count).Select(i => EchoAsync(client, i))).WaitAsync(TimeSpan.FromSeconds(60));
        double afterMs = sw.Elapsed.TotalMilliseconds;
        if (again.Contains(false))
        {
            throw new InvalidOperationException("an action after the reconnect was lost");
        }
        return (settleMs, afterMs);
    }

    // True: its own reply; false: lost with the connection. A reply carrying another action's payload is a bug, so it throws.
    private static async Task<bool> EchoAsync(AmiClient client, int i)
    {
        string payload = i.ToString(CultureInfo.InvariantCulture);
        try
        {
            var result = await client.SendRawAsync("bench", new AmiAction("Echo", ("Payload", payload)), TimeSpan.FromSeconds(30));
            return result.Response.Get("Echo") == payload ? true : throw new InvalidOperationException($"action {payload} got the reply of {result.Response.Get("Echo")}");
        }
        catch (AmiConnectionLostException)
        {
            return false;
        }
    }
}
