using System.Diagnostics;
using System.Globalization;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using AmiActors.Protocol;
using AmiActors.TestKit;
using AmiActors.Testing;

namespace AmiActors.Benchmarks;

/// <summary>
/// Cost per event under production-like traffic: a real Asterisk writes events one at a time, so most reads carry one event.
/// A server in its own process (<c>trickle-serve</c>) writes events one per write, paced in 1 ms ticks, round-robin over every
/// logged-in session, at an aggregate rate the client sets. Each client run is a fresh process (<c>trickle-client</c>) holding
/// N connections; it measures its own CPU (user + system) per delivered event, its idle CPU with the same connections, its heap
/// and RSS per connection, and how long a Ping to every connection at once takes.
/// <c>trickle [--connections 1,100,1000] [--rate 20000] [--seconds 6] [--warmup 5] [--rounds 3] [--variants raw,defaults,spin0] [--alloc-types K]</c>
/// </summary>
/// <remarks>
/// The rate for one connection is capped at 1,000 events/s (one per tick), so that every event still has its own read; the
/// summary reports the rate each run reached. Variants: <c>raw</c> (the reference: async .NET sockets, one ReceiveAsync loop per
/// connection counting event frames, no actor system; <c>raw-spin0</c> the same without thread-pool spinning), <c>defaults</c> (Akka's and AmiActors' defaults), <c>tick100</c>
/// (<c>akka.scheduler.tick-duration = 100ms</c>), <c>spin0</c> (tick100 plus
/// <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0</c>, no thread-pool spinning before a worker sleeps), <c>pool</c> and
/// <c>pool-tick100</c> (<c>ami.dispatcher = "akka.actor.default-dispatcher"</c>: a thread-pool hand-off per message, without and
/// with the 100 ms tick); <c>raw-inline</c> and <c>spin0-inline</c> (raw-spin0 and spin0 with
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>: socket completions run on .NET's epoll thread instead of the pool);
/// <c>spin0-rb4k</c> (spin0 with <c>ami.connection.read-buffer-size = 4096</c>, Akka.IO's own read size); <c>spin0-epoll</c>
/// (spin0, inline completions and <c>SocketThreadDispatcherConfigurator</c> as the default dispatcher: reads run on the socket
/// thread, as <c>ami.listen.socket-thread</c> does), <c>spin0-epoll-share</c> (the same with <c>share-read-buffers = on</c>), and
/// <c>spin0-copy</c> and <c>spin0-epoll-copy</c> (spin0 and spin0-epoll with <c>share-read-buffers = off</c>: every message a copy;
/// the default, auto, shares a read that carries one event).
/// <c>--alloc-types K</c> prints, per run, the K types the client allocated most per event while measured (sampled, see
/// <see cref="AllocationSampler"/>); the sampling costs CPU, so the CPU figures of such a run are not comparable.
/// </remarks>
public sealed class TrickleHarness : IHarness
{
    public string Name => "trickle";

    public string Description => "CPU per event when every event arrives in its own read, at 1/100/1,000 connections, plus idle CPU and memory per connection (server and each client in their own processes)";

    public async Task<int> RunAsync(string[] args)
    {
        var counts = (ExternalHarness.Option(args, "--connections") ?? "1,100,1000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        int rate = ExternalHarness.Int(args, "--rate", 20_000);
        int seconds = ExternalHarness.Int(args, "--seconds", 6);
        int warmup = ExternalHarness.Int(args, "--warmup", 5);
        int rounds = Math.Max(1, ExternalHarness.Int(args, "--rounds", 3));
        int allocTypes = AllocationSampler.TopCount(args);
        var variants = (ExternalHarness.Option(args, "--variants") ?? "raw,defaults,spin0").Split(',');
        Console.WriteLine($"trickle harness: {string.Join("/", counts)} connections, {rate:N0} events/s in aggregate (at most 1,000/s per connection), "
            + $"{seconds} s measured per run after {warmup} s of events, {rounds} interleaved rounds, variants {string.Join(", ", variants)}; {Environment.ProcessorCount} cores; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

        using var server = StartSelf(["trickle-serve", "--port", "0"], new Dictionary<string, string>());
        string? line;
        int port = 0;
        while ((line = await server.StandardOutput.ReadLineAsync()) is not null)
        {
            if (line.StartsWith("trickle-serve: listening on 127.0.0.1:", StringComparison.Ordinal))
            {
                port = int.Parse(line["trickle-serve: listening on 127.0.0.1:".Length..].Split(' ')[0], CultureInfo.InvariantCulture);
                break;
            }
        }
        if (port == 0)
        {
            Console.Error.WriteLine("trickle: the server did not start");
            return 1;
        }
        try
        {
            var results = new Dictionary<(int N, string Variant), List<Dictionary<string, double>>>();
            for (int round = 1; round <= rounds; round++)
            {
                foreach (int n in counts)
                {
                    foreach (var variant in variants)
                    {
                        var result = await RunClientAsync(port, n, Math.Min(rate, 1_000 * n), seconds, warmup, variant, allocTypes);
                        if (result is null)
                        {
                            return 1;
                        }
                        if (!results.TryGetValue((n, variant), out var list))
                        {
                            results[(n, variant)] = list = [];
                        }
                        list.Add(result);
                        Console.WriteLine($"trickle: round {round} n={n,5} {variant,-9} {result["events_per_s"],8:N0} events/s  {result["cpu_us_per_event"],6:0.0} us CPU/event  "
                            + $"{result["busy_core_pct"],5:0.0}% busy  {result["idle_core_pct"],5:0.00}% idle  {result["alloc_b_per_event"],6:N0} B/event  "
                            + $"{result["heap_kb_per_conn"],6:0.0} KB heap/conn  {result["rss_kb_per_conn"],6:0.0} KB RSS/conn  ping-all {result["ping_all_ms"],6:0} ms");
                    }
                }
            }
            Console.WriteLine();
            Console.WriteLine("| connections | variant | events/s | CPU per event (median, min-max) | core busy | core idle | B allocated/event | heap/connection | RSS/connection | Ping to all |");
            Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (int n in counts)
            {
                foreach (var variant in variants)
                {
                    var runs = results[(n, variant)];
                    double M(string key) => ExternalHarness.Median(runs.Select(r => r[key]).ToList());
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {n:N0} | {variant} | {M("events_per_s"):N0} | {M("cpu_us_per_event"):0.0} us ({runs.Min(r => r["cpu_us_per_event"]):0.0}-{runs.Max(r => r["cpu_us_per_event"]):0.0}) | "
                        + $"{M("busy_core_pct"):0.0}% | {M("idle_core_pct"):0.00}% | {M("alloc_b_per_event"):N0} | {M("heap_kb_per_conn"):0.0} KB | {M("rss_kb_per_conn"):0.0} KB | {M("ping_all_ms"):0} ms |"));
                }
            }
            return 0;
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }

    private static async Task<Dictionary<string, double>?> RunClientAsync(int port, int n, int rate, int seconds, int warmup, string variant, int allocTypes)
    {
        var env = new Dictionary<string, string>();
        const string Tick100 = "akka.scheduler.tick-duration = 100ms";
        const string Epoll = Tick100 + "\nakka.actor.default-dispatcher.type = \"AmiActors.Actors.SocketThreadDispatcherConfigurator, AmiActors\"";
        string config = variant switch
        {
            "raw" or "raw-spin0" or "raw-inline" => "",
            "defaults" => "",
            "tick100" or "spin0" or "spin0-inline" => Tick100,
            "spin0-epoll" => Epoll,
            "spin0-epoll-share" => Epoll + "\nami.connection.share-read-buffers = on",
            "spin0-copy" => Tick100 + "\nami.connection.share-read-buffers = off",
            "spin0-epoll-copy" => Epoll + "\nami.connection.share-read-buffers = off",
            "spin0-rb4k" => Tick100 + "\nami.connection.read-buffer-size = 4096",
            "pool" => "ami.dispatcher = \"akka.actor.default-dispatcher\"",
            "pool-tick100" => "ami.dispatcher = \"akka.actor.default-dispatcher\"\n" + Tick100,
            _ => throw new ArgumentException($"unknown variant '{variant}' (raw, raw-spin0, raw-inline, defaults, tick100, spin0, spin0-inline, spin0-rb4k, spin0-epoll, spin0-epoll-share, spin0-copy, spin0-epoll-copy, pool, pool-tick100)"),
        };
        var extra = new List<string>();
        if (variant.StartsWith("raw", StringComparison.Ordinal))
        {
            extra.Add("--raw");
        }
        if (allocTypes > 0)
        {
            extra.AddRange(["--alloc-types", allocTypes.ToString(CultureInfo.InvariantCulture)]);
        }
        if (variant.StartsWith("spin0", StringComparison.Ordinal) || variant is "raw-spin0" or "raw-inline")
        {
            env["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        }
        if (variant.EndsWith("-inline", StringComparison.Ordinal) || variant.StartsWith("spin0-epoll", StringComparison.Ordinal))
        {
            // .NET runs socket completions on its epoll thread instead of handing each to the thread pool.
            env["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        }
        using var client = StartSelf(["trickle-client", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", n.ToString(CultureInfo.InvariantCulture),
            "--rate", rate.ToString(CultureInfo.InvariantCulture), "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--warmup", warmup.ToString(CultureInfo.InvariantCulture), "--hocon", config, .. extra], env);
        var errors = client.StandardError.ReadToEndAsync();
        Dictionary<string, double>? result = null;
        string? line;
        while ((line = await client.StandardOutput.ReadLineAsync()) is not null)
        {
            if (line.StartsWith("ALLOC ", StringComparison.Ordinal))
            {
                Console.WriteLine($"trickle: alloc n={n,5} {variant,-9} {line[6..]}");
            }
            if (line.StartsWith("RESULT ", StringComparison.Ordinal))
            {
                result = line[7..].Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
            }
        }
        await client.WaitForExitAsync();
        if (result is null)
        {
            Console.Error.WriteLine($"trickle: client n={n} {variant} exited {client.ExitCode} without a result: {await errors}");
        }
        return result;
    }

    internal static Process StartSelf(string[] args, IReadOnlyDictionary<string, string> env)
    {
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string host = Environment.ProcessPath!;
        info.FileName = host;
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            info.ArgumentList.Add(typeof(TrickleHarness).Assembly.Location);
        }
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }
        return Process.Start(info)!;
    }
}

/// <summary>The trickle server: <c>trickle-serve [--port 15039]</c>; the rate is set by the <c>TrickleRate</c> action (header <c>Rate</c>).</summary>
public sealed class TrickleServeHarness : IHarness
{
    private static int s_rate;

    public string Name => "trickle-serve";

    public string Description => "the trickle server (for `trickle`): events one per write, round-robin over sessions, at the rate the TrickleRate action sets";

    public async Task<int> RunAsync(string[] args)
    {
        // The captured events, each in wire form: one write each.
        var frames = AmiStreamDecoder.Decode(File.ReadAllBytes(CapturedFixtures.Fixture("event-stream-2000.recv.txt")))
            .Where(m => m.Kind == AmiMessageKind.Event)
            .Select(m => (ReadOnlyMemory<byte>)m.ToWireBytes())
            .ToList();
        await using var server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions
        {
            Address = IPAddress.Loopback,
            Port = ExternalHarness.Int(args, "--port", 15039),
            Users = [new FakeAmiUser("admin", "secret")],
            SendFullyBooted = false,
            SendSuccessfulAuth = false,
            AuthLimit = 20_000,
            MaxRecordedActions = 0,
        });
        server.OnAction("TrickleRate", ctx =>
        {
            Volatile.Write(ref s_rate, int.Parse(ctx.Header("Rate") ?? "0", CultureInfo.InvariantCulture));
            return ctx.Success("Rate set");
        });
        Console.WriteLine($"trickle-serve: listening on 127.0.0.1:{server.Port} ({frames.Count:N0} distinct events, {frames.Average(f => f.Length):N0} B average)");
        var pacer = new Thread(() => Pace(server, frames)) { IsBackground = true, Name = "trickle-pacer" };
        pacer.Start();
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    // Every ~1 ms, writes the events due since the rate was set, one SendRawAsync (one socket write) each, to the logged-in
    // sessions in turn.
    private static void Pace(FakeAsteriskServer server, List<ReadOnlyMemory<byte>> frames)
    {
        int rate = 0;
        long since = Stopwatch.GetTimestamp();
        long sent = 0;
        int next = 0;
        int frame = 0;
        FakeAmiSession[] sessions = [];
        long refreshed = 0;
        while (true)
        {
            Thread.Sleep(1);
            int wanted = Volatile.Read(ref s_rate);
            long now = Stopwatch.GetTimestamp();
            if (wanted != rate)
            {
                rate = wanted;
                since = now;
                sent = 0;
            }
            if (now - refreshed > Stopwatch.Frequency / 10)
            {
                sessions = server.Sessions.Where(s => s.IsAuthenticated && s.IsConnected).ToArray();
                refreshed = now;
            }
            if (rate == 0 || sessions.Length == 0)
            {
                continue;
            }
            long due = (long)((now - since) / (double)Stopwatch.Frequency * rate) - sent;
            for (long i = 0; i < due; i++)
            {
                var session = sessions[next++ % sessions.Length];
                var pending = session.SendRawAsync(frames[frame++ % frames.Count]);
                if (!pending.IsCompletedSuccessfully)
                {
                    _ = pending.AsTask().ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                }
            }
            sent += due;
        }
    }
}

/// <summary>One trickle client run (started by <c>trickle</c>): prints one <c>RESULT key=value ...</c> line.</summary>
public sealed class TrickleClientHarness : IHarness
{
    public string Name => "trickle-client";

    public string Description => "one trickle client run (started by `trickle`)";

    public async Task<int> RunAsync(string[] args)
    {
        int port = ExternalHarness.Int(args, "--port", 15039);
        int n = ExternalHarness.Int(args, "--connections", 100);
        int rate = ExternalHarness.Int(args, "--rate", 20_000);
        int seconds = ExternalHarness.Int(args, "--seconds", 6);
        int warmup = ExternalHarness.Int(args, "--warmup", 5);
        string hocon = ExternalHarness.Option(args, "--hocon") ?? "";
        if (args.Contains("--raw"))
        {
            return await RawAsync(port, n, rate, seconds, warmup, AllocationSampler.TopCount(args));
        }

        long heap0 = Heap();
        long rss0 = Rss();
        var config = ConfigurationFactory.ParseString(hocon)
            .WithFallback(ConfigurationFactory.ParseString("akka.loglevel = ERROR\nakka.log-dead-letters = off"));
        using var system = ActorSystem.Create("trickle", config);
        var settings = AmiSettings.FromSystem(system) with
        {
            Servers = Enumerable.Range(0, n).Select(i => new AmiServerDefinition("pbx" + i.ToString(CultureInfo.InvariantCulture), "127.0.0.1", port, "admin", "secret")).ToArray(),
        };
        var client = AmiClient.Start(system, settings);
        var counter = new EventCounter();
        await client.SubscribeAsync(system.ActorOf(Props.Create(() => new CountingActor(counter))));
        var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
        while ((await client.GetServersAsync()).Count(s => s.State == AmiConnectionState.Connected) < n)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                Console.Error.WriteLine("trickle-client: not every connection logged in within 120 s");
                return 1;
            }
            await Task.Delay(100);
        }
        long heap1 = Heap();
        long rss1 = Rss();

        var ping = new AmiAction("Ping");
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, n).Select(i => client.SendAsync("pbx" + i.ToString(CultureInfo.InvariantCulture), ping)));
        double pingAllMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        Console.WriteLine(await MeasureRunAsync(n, rate, seconds, warmup, r => SetRateAsync(client, r), () => Interlocked.Read(ref counter.Events), heap1 - heap0, rss1 - rss0, pingAllMs, AllocationSampler.TopCount(args)));
        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        return 0;
    }

    // The reference: what any .NET client on async sockets pays. N sockets, each logged in, each with a ReceiveAsync loop that
    // counts the frames starting with "Event:" (no parsing, no hand-off beyond the socket's own completion).
    private static async Task<int> RawAsync(int port, int n, int rate, int seconds, int warmup, int allocTypes)
    {
        long heap0 = Heap();
        long rss0 = Rss();
        var counter = new EventCounter();
        var sockets = new List<System.Net.Sockets.Socket>();
        var loops = new List<Task>();
        using var stop = new CancellationTokenSource();
        for (int i = 0; i < n; i++)
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, port);
            await socket.SendAsync("Action: Login\r\nActionID: 1\r\nUsername: admin\r\nSecret: secret\r\n\r\n"u8.ToArray());
            var loggedIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            sockets.Add(socket);
            loops.Add(ReadLoopAsync(socket, counter, loggedIn, stop.Token));
            await loggedIn.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        long heap1 = Heap();
        long rss1 = Rss();
        Console.WriteLine(await MeasureRunAsync(n, rate, seconds, warmup, r => RawRateAsync(sockets[0], r), () => Interlocked.Read(ref counter.Events), heap1 - heap0, rss1 - rss0, pingAllMs: 0, allocTypes));
        stop.Cancel();
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }
        return 0;
    }

    // The same sequence for every client: every event in its own write at the rate, warmed up (the JIT's background
    // recompilation of the event path runs for several seconds after it is first used, and would count), then measured;
    // then idle CPU with the connections up and nothing arriving (heartbeats and timers only); one RESULT line.
    private static async Task<string> MeasureRunAsync(int n, int rate, int seconds, int warmup, Func<int, Task> setRate, Func<long> delivered, long heapDelta, long rssDelta, double pingAllMs, int allocTypes)
    {
        await setRate(rate);
        await Task.Delay(TimeSpan.FromSeconds(warmup));
        long events0 = delivered();
        var sampler = allocTypes > 0 ? new AllocationSampler() : null;
        long allocated0 = GC.GetTotalAllocatedBytes(false);
        var (busyCpu, busyWall) = await MeasureAsync(() => Task.Delay(TimeSpan.FromSeconds(seconds)));
        long events = delivered() - events0;
        long allocated = GC.GetTotalAllocatedBytes(false) - allocated0;
        foreach (var line in sampler?.Report(events, allocTypes) ?? [])
        {
            Console.WriteLine("ALLOC " + line);
        }

        await setRate(0);
        await Task.Delay(1_000);
        var (idleCpu, idleWall) = await MeasureAsync(() => Task.Delay(TimeSpan.FromSeconds(Math.Max(3, seconds / 2))));

        return string.Create(CultureInfo.InvariantCulture,
            $"RESULT n={n} rate={rate} events={events} events_per_s={events / busyWall:0} cpu_us_per_event={busyCpu * 1e6 / Math.Max(1, events):0.00} "
            + $"busy_core_pct={100 * busyCpu / busyWall:0.00} idle_core_pct={100 * idleCpu / idleWall:0.000} alloc_b_per_event={allocated / (double)Math.Max(1, events):0} "
            + $"heap_kb_per_conn={heapDelta / 1024.0 / n:0.00} rss_kb_per_conn={rssDelta / 1024.0 / n:0.00} ping_all_ms={pingAllMs:0.0}");
    }

    private static Task RawRateAsync(System.Net.Sockets.Socket socket, int rate) =>
        socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"Action: TrickleRate\r\nRate: {rate}\r\n\r\n"));

    private static async Task ReadLoopAsync(System.Net.Sockets.Socket socket, EventCounter counter, TaskCompletionSource loggedIn, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        int carried = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                int read = await socket.ReceiveAsync(buffer.AsMemory(carried), System.Net.Sockets.SocketFlags.None, stop);
                if (read == 0)
                {
                    return;
                }
                int length = carried + read;
                int start = 0;
                int at;
                while ((at = buffer.AsSpan(start, length - start).IndexOf("\r\n\r\n"u8)) >= 0)
                {
                    var frame = buffer.AsSpan(start, at);
                    if (frame.StartsWith("Event:"u8))
                    {
                        Interlocked.Increment(ref counter.Events);
                    }
                    else if (frame.IndexOf("Response: Success"u8) >= 0)
                    {
                        loggedIn.TrySetResult();
                    }
                    start += at + 4;
                }
                carried = length - start;
                buffer.AsSpan(start, carried).CopyTo(buffer);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private static Task SetRateAsync(AmiClient client, int rate) =>
        client.SendAsync("pbx0", new AmiAction("TrickleRate", ("Rate", rate.ToString(CultureInfo.InvariantCulture))));

    /// <summary>This process's CPU (user + system) and the wall time while <paramref name="during"/> runs.</summary>
    internal static async Task<(double CpuSeconds, double WallSeconds)> MeasureAsync(Func<Task> during)
    {
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long wall0 = Stopwatch.GetTimestamp();
        await during();
        var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
        return ((cpu1 - cpu0).TotalSeconds, Stopwatch.GetElapsedTime(wall0).TotalSeconds);
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }

    private static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    private sealed class EventCounter
    {
        public long Events;
    }

    private sealed class CountingActor(EventCounter counter) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is AmiEventReceived)
            {
                Interlocked.Increment(ref counter.Events);
            }
        }
    }
}
