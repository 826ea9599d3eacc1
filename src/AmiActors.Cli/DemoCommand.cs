using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Protocol;
using AmiActors.TestKit;
using AmiActors.TestKit.Simulation;

namespace AmiActors.Cli;

/// <summary>
/// <c>ami demo</c>: a fake Asterisk with simulated call traffic in this process, the real client connected to it over
/// loopback TCP, and a live view of what the client sees.
/// </summary>
internal static class DemoCommand
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(CliConsole console, TimeSpan? duration, double rate, CancellationToken ct)
    {
        string secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        await using var server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { Users = [new FakeAmiUser("demo", secret)] }, ct).ConfigureAwait(false);
        await using var load = CallSimulation.Start(server, new CallSimulatorOptions { CallsPerSecond = rate, Seed = Environment.TickCount });
        var definition = new AmiServerDefinition("demo", "127.0.0.1", server.Port, "demo", secret);
        string where = $"tcp://demo@127.0.0.1:{server.Port}";
        // The client's logs go through Serilog to stderr: state changes too when the output is plain lines, only trouble under the live view.
        var logLevel = console.IsInteractive ? Serilog.Events.LogEventLevel.Warning : Serilog.Events.LogEventLevel.Information;
        using var logging = CliLogging.WriteTo(console.Stderr, logLevel);
        await using var session = await ClientSession.OpenAsync(definition, TimeSpan.FromSeconds(30), ct, CliLogging.AkkaSerilog(logLevel)).ConfigureAwait(false);

        // --duration counts from the moment the client is logged in.
        using var stopAt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (duration is { } d)
        {
            stopAt.CancelAfter(d);
        }
        var token = stopAt.Token;
        var stats = new DemoStats();
        var (killSwitch, eventsDone) = session.Client.Events(definition.Id, null, bufferSize: 65_536)
            .ViaMaterialized(KillSwitches.Single<AmiEventReceived>(), Keep.Right)
            .ToMaterialized(Sink.ForEach<AmiEventReceived>(e => stats.OnEvent(e.Event)), Keep.Both)
            .Run(session.System.Materializer());
        var started = Stopwatch.GetTimestamp();
        var probes = ProbeAsync(session.Client, definition.Id, stats, token);
        if (!console.IsInteractive)
        {
            console.Stdout.WriteLine($"ami demo: simulated Asterisk at {where}, {rate.ToString("0.#", CultureInfo.InvariantCulture)} new calls/s; the real client is connected.");
        }
        using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(1)))
        {
            try
            {
                while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
                {
                    stats.Tick(TimeSpan.FromSeconds(1));
                    var elapsed = Stopwatch.GetElapsedTime(started);
                    if (console.IsInteractive)
                    {
                        await console.Stdout.WriteAsync(LiveView.Screen(elapsed, stats.Snapshot(), where, rate, TerminalWidth())).ConfigureAwait(false);
                    }
                    else
                    {
                        await console.Stdout.WriteLineAsync(LiveView.Line(elapsed, stats.Snapshot())).ConfigureAwait(false);
                    }
                    await console.Stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Ctrl+C or --duration: stop below.
            }
        }
        killSwitch.Shutdown();
        await eventsDone.ConfigureAwait(false);
        await probes.ConfigureAwait(false);
        var final = stats.Snapshot();
        console.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ami demo: stopped after {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s: {final.Events} events received, {load.Simulator.CallsStarted} calls started, {load.Simulator.CallsCompleted} completed."));
        return ExitCodes.Success;
    }

    /// <summary>Every second: a Ping and a CoreShowChannels, timed end to end through the client.</summary>
    private static async Task ProbeAsync(IAmiClient client, string serverId, DemoStats stats, CancellationToken ct)
    {
        var ping = new AmiAction("Ping");
        var channels = new AmiAction("CoreShowChannels");
        using var timer = new PeriodicTimer(ProbeInterval);
        try
        {
            do
            {
                try
                {
                    long t0 = Stopwatch.GetTimestamp();
                    await client.SendAsync(serverId, ping, null, ct).ConfigureAwait(false);
                    long t1 = Stopwatch.GetTimestamp();
                    var list = await client.SendAsync(serverId, channels, null, ct).ConfigureAwait(false);
                    stats.OnRoundTrips(Stopwatch.GetElapsedTime(t0, t1), Stopwatch.GetElapsedTime(t1), list.Events.Count);
                }
                catch (AmiException e)
                {
                    stats.OnError(e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static int TerminalWidth()
    {
        try
        {
            // A pseudo-terminal without a size reports 0.
            return Console.WindowWidth is > 0 and var width ? width : 120;
        }
        catch (IOException)
        {
            return 100;
        }
    }
}
