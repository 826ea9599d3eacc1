using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using AmiActors.Protocol;
using AmiActors.TestKit;

namespace AmiActors.Benchmarks;

/// <summary>
/// The resilience soak: continuous actions (each echoing its own payload, so a misrouted reply shows) and a steady event
/// stream against the fake Asterisk, with a forced disconnect every few seconds (reset, graceful close, server restart in
/// turn). Prints actions completed / failed / still pending / misrouted, events sent and received, and the managed heap
/// after a full compacting GC at the end of warm-up and at the end. Exits non-zero when a target is missed.
/// </summary>
public sealed class SoakHarness : IHarness
{
    public string Name => "soak";

    public string Description =>
        "Resilience soak: actions + events with forced disconnects. --duration 4m --disconnect-every 5s --inflight 64 --event-rate 2000 --warmup 60s --settle 65s --checkpoint-every 0 --actions 0 (0: no cap)";

    public async Task<int> RunAsync(string[] args)
    {
        SoakOptions options;
        try
        {
            options = SoakOptions.Parse(args);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Description);
            return 2;
        }
        Console.WriteLine($"soak: {options}");
        Console.WriteLine($"runtime: .NET {Environment.Version}, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");
        var run = new SoakRun(options);
        return await run.RunAsync();
    }
}

internal sealed record SoakOptions(TimeSpan Duration, TimeSpan DisconnectEvery, int InFlight, int EventRate, TimeSpan Warmup, long MaxActions, TimeSpan ActionTimeout, TimeSpan CheckpointEvery, TimeSpan Settle)
{
    public static SoakOptions Parse(string[] args)
    {
        var o = new SoakOptions(TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(5), 64, 2000, TimeSpan.FromSeconds(60), 0, TimeSpan.FromSeconds(10), TimeSpan.Zero, TimeSpan.FromSeconds(65));
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--duration" => o with { Duration = ParseDuration(Value()) },
                "--disconnect-every" => o with { DisconnectEvery = ParseDuration(Value()) },
                "--inflight" => o with { InFlight = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--event-rate" => o with { EventRate = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = ParseDuration(Value()) },
                "--actions" => o with { MaxActions = long.Parse(Value(), CultureInfo.InvariantCulture) },
                "--action-timeout" => o with { ActionTimeout = ParseDuration(Value()) },
                "--checkpoint-every" => o with { CheckpointEvery = ParseDuration(Value()) },
                "--settle" => o with { Settle = ParseDuration(Value()) },
                _ => throw new FormatException($"unknown option {args[i]}"),
            };
        }
        if (o.InFlight < 1 || o.EventRate < 0 || o.DisconnectEvery <= TimeSpan.Zero || o.Duration <= o.Warmup)
        {
            throw new FormatException("need --inflight >= 1, --event-rate >= 0, --disconnect-every > 0 and --duration > --warmup");
        }
        return o;
    }

    // "90" (seconds), "90s", "3m", "500ms", "1h".
    private static TimeSpan ParseDuration(string text)
    {
        static double N(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        return text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => TimeSpan.FromMilliseconds(N(text[..^2])),
            _ when text.EndsWith('s') => TimeSpan.FromSeconds(N(text[..^1])),
            _ when text.EndsWith('m') => TimeSpan.FromMinutes(N(text[..^1])),
            _ when text.EndsWith('h') => TimeSpan.FromHours(N(text[..^1])),
            _ => TimeSpan.FromSeconds(N(text)),
        };
    }

    public override string ToString() =>
        $"duration {Duration.TotalSeconds:0} s, warm-up {Warmup.TotalSeconds:0} s, disconnect every {DisconnectEvery.TotalSeconds:0.###} s, " +
        $"{InFlight} actions in flight, {EventRate} events/s, action timeout {ActionTimeout.TotalSeconds:0} s, heap checkpoint every {(CheckpointEvery > TimeSpan.Zero ? $"{CheckpointEvery.TotalSeconds:0} s" : "-")}, idle {Settle.TotalSeconds:0} s before each heap reading, action cap {(MaxActions > 0 ? MaxActions.ToString(CultureInfo.InvariantCulture) : "none")}";
}

internal sealed class SoakRun(SoakOptions options)
{
    private const string ServerId = "soak";
    private const int FinalBatch = 10_000;
    private const double MaxHeapGrowth = 0.05;

    private readonly SoakOptions _o = options;
    private readonly ConcurrentDictionary<string, long> _otherFailures = new(StringComparer.Ordinal);
    private readonly AsyncGate _go = new();
    private long _started;
    private long _finished;
    private long _completed;
    private long _misrouted;
    private long _lost;
    private long _timedOut;
    private long _hungAsks;
    private long _eventsSent;
    private long _eventsReceived;
    private long _disconnects;
    private long _stuckFloods;
    private volatile bool _stopActions;
    private volatile bool _stopEvents;
    private volatile bool _stopDisconnects;

    public async Task<int> RunAsync()
    {
        await using var server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { MaxRecordedActions = 1000 });
        using var echo = server.OnAction("Echo", ctx => ctx.Success(null, ("Echo", ctx.Header("Payload") ?? "")));
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING\nakka.log-dead-letters = off");
        var system = ActorSystem.Create("soak", config);
        var settings = AmiSettings.Default with
        {
            MinBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromSeconds(1),
            ResetAfter = TimeSpan.FromSeconds(2),
            HeartbeatInterval = TimeSpan.FromSeconds(5),
            HeartbeatTimeout = TimeSpan.FromSeconds(3),
            DefaultActionTimeout = _o.ActionTimeout,
            PublishToEventStream = false,
            Servers = [new AmiServerDefinition(ServerId, "127.0.0.1", server.Port, "admin", "amp111")],
        };
        var client = AmiClient.Start(system, settings);
        var counter = system.ActorOf(Props.Create(() => new EventCounter(this)), "soak-events");
        await client.SubscribeAsync(counter, ServerId, "Newstate");
        await WaitConnectedAsync(client, TimeSpan.FromSeconds(30));

        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, _o.InFlight).Select(_ => Task.Run(() => WorkerAsync(client))).ToArray();
        var emitter = Task.Run(() => EmitEventsAsync(server));
        var disruptor = Task.Run(() => DisconnectLoopAsync(server));
        var progress = Task.Run(() => ProgressAsync(clock));

        // Warm-up, then a quiet moment to measure the heap: no action in flight, connected, events settled.
        await WaitUntilAsync(clock, _o.Warmup);
        var warm = await QuiesceAndMeasureAsync(client);
        long actionsAtWarm = Interlocked.Read(ref _completed);
        Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0}s] warm-up done: heap {Mb(warm)} after a full GC ({actionsAtWarm:N0} actions so far)");
        _go.Open();

        // Heap checkpoints along the way show the trend (a leak grows with every checkpoint; a pool filling up levels off).
        var checkpoints = new List<long> { warm };
        var nextCheckpoint = clock.Elapsed + _o.CheckpointEvery;
        while (clock.Elapsed < _o.Duration && (_o.MaxActions <= 0 || Interlocked.Read(ref _completed) < _o.MaxActions))
        {
            await Task.Delay(200);
            if (_o.CheckpointEvery > TimeSpan.Zero && clock.Elapsed >= nextCheckpoint && clock.Elapsed + _o.CheckpointEvery / 2 < _o.Duration)
            {
                var heap = await QuiesceAndMeasureAsync(client);
                checkpoints.Add(heap);
                Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0}s] checkpoint: heap {Mb(heap)} after a full GC ({Interlocked.Read(ref _completed):N0} actions)");
                _go.Open();
                nextCheckpoint = clock.Elapsed + _o.CheckpointEvery;
            }
        }
        var loadTime = clock.Elapsed;

        // The end reading, in the same paused state as the warm-up one (like for like); then stop: no more disconnects, no
        // more new actions; every started action must finish within its timeout.
        _stopDisconnects = true;
        await disruptor;
        var endHeap = await QuiesceAndMeasureAsync(client);
        Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0}s] end reading: heap {Mb(endHeap)} after a full GC");
        _stopActions = true;
        _go.Open();
        var deadline = _o.ActionTimeout + TimeSpan.FromSeconds(15);
        var allWorkers = Task.WhenAll(workers);
        bool drained = await Task.WhenAny(allWorkers, Task.Delay(deadline)) == allWorkers;
        _stopEvents = true;
        await emitter;
        long pending = Interlocked.Read(ref _started) - Interlocked.Read(ref _finished);

        // A final batch with the connection left alone: every event must arrive (losses are only allowed at forced disconnects).
        await WaitConnectedAsync(client, TimeSpan.FromSeconds(30));
        await SettleEventsAsync();
        long beforeBatch = Interlocked.Read(ref _eventsReceived);
        var session = server.Sessions.First(s => s.IsAuthenticated);
        await server.FloodEventsAsync(session, [NewstateTemplate], FinalBatch);
        var batchDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Interlocked.Read(ref _eventsReceived) - beforeBatch < FinalBatch && DateTime.UtcNow < batchDeadline)
        {
            await Task.Delay(50);
        }
        long batchReceived = Interlocked.Read(ref _eventsReceived) - beforeBatch;

        var status = (await client.GetServersAsync()).Single();
        _stopActions = true;
        await progress;

        long completed = Interlocked.Read(ref _completed);
        long failed = Interlocked.Read(ref _lost) + Interlocked.Read(ref _timedOut) + _otherFailures.Values.Sum();
        double growth = (endHeap - warm) / (double)warm;
        Console.WriteLine();
        Console.WriteLine("=== soak results ===");
        Console.WriteLine($"load time            {loadTime.TotalSeconds:0.0} s, forced disconnects {_disconnects:N0}");
        Console.WriteLine($"actions started      {_started:N0}");
        Console.WriteLine($"actions completed    {completed:N0} ({completed / loadTime.TotalSeconds:N0}/s), {completed - actionsAtWarm:N0} after warm-up");
        Console.WriteLine($"actions failed       {failed:N0} (connection lost {_lost:N0}, timed out {_timedOut:N0}{string.Concat(_otherFailures.Select(kv => $", {kv.Key} {kv.Value:N0}"))})");
        Console.WriteLine($"actions pending      {pending:N0} (hung Asks {_hungAsks:N0}){(drained ? "" : " - workers did not finish in time")}");
        Console.WriteLine($"actions misrouted    {_misrouted:N0}");
        Console.WriteLine($"events sent          {_eventsSent:N0} (+ final batch {FinalBatch:N0})");
        Console.WriteLine($"events received      {_eventsReceived - batchReceived:N0} (+ final batch {batchReceived:N0}); sent - received {_eventsSent - (_eventsReceived - batchReceived):N0} (events on the wire when a connection was forced down); dropped by slow subscribers {status.EventsDropped:N0}");
        Console.WriteLine($"heap after warm-up   {Mb(warm)}");
        Console.WriteLine($"heap at end          {Mb(endHeap)} ({growth:+0.00%;-0.00%})");
        Console.WriteLine($"heap checkpoints     {string.Join(", ", checkpoints.Append(endHeap).Select(Mb))}");
        Console.WriteLine($"final state          {status.State}");

        var misses = new List<string>();
        if (pending != 0 || _hungAsks != 0)
        {
            misses.Add($"{pending} actions still pending, {_hungAsks} Asks hung");
        }
        if (_misrouted != 0)
        {
            misses.Add($"{_misrouted} misrouted replies");
        }
        if (growth >= MaxHeapGrowth)
        {
            misses.Add($"heap grew {growth:P2} (limit {MaxHeapGrowth:P0})");
        }
        if (_stuckFloods != 0)
        {
            misses.Add($"{_stuckFloods} event floods of the fake server did not finish");
        }
        if (batchReceived != FinalBatch)
        {
            misses.Add($"final batch: {batchReceived} of {FinalBatch} events received");
        }
        if (status.State != AmiConnectionState.Connected)
        {
            misses.Add($"final state {status.State}");
        }
        Console.WriteLine(misses.Count == 0 ? "targets: all met (0 pending, 0 misrouted, heap growth < 5%, no event lost outside disconnects)" : "TARGETS MISSED: " + string.Join("; ", misses));
        await system.Terminate();
        return misses.Count == 0 ? 0 : 1;
    }

    private static readonly AmiMessage NewstateTemplate = AmiMessage.Create(
        ("Event", "Newstate"), ("Privilege", "call,all"), ("Channel", "PJSIP/100-00000001"), ("ChannelState", "6"), ("ChannelStateDesc", "Up"),
        ("CallerIDNum", "100"), ("CallerIDName", "Jürgen Ñandú"), ("ConnectedLineNum", "200"), ("ConnectedLineName", "Desk 200"),
        ("Language", "en"), ("AccountCode", ""), ("Context", "from-internal"), ("Exten", "200"), ("Priority", "1"),
        ("Uniqueid", "1732350000.42"), ("Linkedid", "1732350000.42"));

    private async Task WorkerAsync(AmiClient client)
    {
        while (!_stopActions)
        {
            await _go.WaitAsync().ConfigureAwait(false);
            if (_stopActions)
            {
                break;
            }
            long id = Interlocked.Increment(ref _started);
            string payload = id.ToString(CultureInfo.InvariantCulture);
            try
            {
                var result = await client.SendRawAsync(ServerId, new AmiAction("Echo", ("Payload", payload)), _o.ActionTimeout).ConfigureAwait(false);
                if (result.Response.Get("Echo") == payload && result.Response.ActionId == result.ActionId)
                {
                    Interlocked.Increment(ref _completed);
                }
                else
                {
                    Interlocked.Increment(ref _misrouted);
                }
            }
            catch (AmiConnectionLostException)
            {
                Interlocked.Increment(ref _lost);
            }
            catch (AmiActionTimeoutException)
            {
                Interlocked.Increment(ref _timedOut);
            }
            catch (AskTimeoutException)
            {
                // The runtime did not answer within the action's own timeout (plus grace): a hung request.
                Interlocked.Increment(ref _hungAsks);
            }
            catch (Exception e)
            {
                _otherFailures.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1);
            }
            Interlocked.Increment(ref _finished);
        }
    }

    private async Task EmitEventsAsync(FakeAsteriskServer server)
    {
        if (_o.EventRate == 0)
        {
            return;
        }
        var clock = Stopwatch.StartNew();
        long due = 0;
        while (!_stopEvents)
        {
            await Task.Delay(10).ConfigureAwait(false);
            long target = (long)(clock.Elapsed.TotalSeconds * _o.EventRate);
            int n = (int)Math.Min(target - due, _o.EventRate);
            due = target;
            if (n <= 0 || !_go.IsOpen)
            {
                continue;
            }
            // Events reach logged-in sessions only, as on a real server; while disconnected none are generated.
            foreach (var session in server.Sessions.Where(s => s.IsAuthenticated))
            {
                try
                {
                    // Bounded: a flood that cannot finish (a wedged fake session) must not stall the soak itself.
                    using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    await server.FloodEventsAsync(session, [NewstateTemplate], n, limit.Token).ConfigureAwait(false);
                    Interlocked.Add(ref _eventsSent, n);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref _stuckFloods);
                }
                catch (Exception)
                {
                    // The session closed under the flood (a forced disconnect): those events were never fully written.
                }
            }
        }
    }

    private async Task DisconnectLoopAsync(FakeAsteriskServer server)
    {
        int round = 0;
        var next = DateTime.UtcNow + _o.DisconnectEvery;
        while (!_stopDisconnects)
        {
            await Task.Delay(50).ConfigureAwait(false);
            if (DateTime.UtcNow < next || !_go.IsOpen)
            {
                continue;
            }
            next = DateTime.UtcNow + _o.DisconnectEvery;
            switch (round++ % 3)
            {
                case 0:
                    await server.Faults.DropAllSessionsAsync(graceful: false).ConfigureAwait(false);
                    break;
                case 1:
                    await server.Faults.DropAllSessionsAsync(graceful: true).ConfigureAwait(false);
                    break;
                default:
                    await server.RestartAsync(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
                    break;
            }
            Interlocked.Increment(ref _disconnects);
        }
    }

    private async Task ProgressAsync(Stopwatch clock)
    {
        long last = 0;
        var lastTime = clock.Elapsed;
        while (!_stopActions || !_stopEvents)
        {
            await Task.Delay(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            long done = Interlocked.Read(ref _completed);
            var now = clock.Elapsed;
            Console.WriteLine($"[{now.TotalSeconds,6:0}s] actions {done:N0} ({(done - last) / (now - lastTime).TotalSeconds:N0}/s), lost {Interlocked.Read(ref _lost):N0}, " +
                $"timed out {Interlocked.Read(ref _timedOut):N0}, misrouted {Interlocked.Read(ref _misrouted):N0}, events {Interlocked.Read(ref _eventsReceived):N0}/{Interlocked.Read(ref _eventsSent):N0}, " +
                $"disconnects {Interlocked.Read(ref _disconnects):N0}, heap {Mb(GC.GetTotalMemory(false))}");
            last = done;
            lastTime = now;
        }
    }

    // Pauses the load (workers, events, disconnects), waits for every action to finish, the connection to be up and events to settle, then measures.
    private async Task<long> QuiesceAndMeasureAsync(AmiClient client)
    {
        _go.Close();
        var deadline = DateTime.UtcNow + _o.ActionTimeout + TimeSpan.FromSeconds(15);
        while (Interlocked.Read(ref _started) != Interlocked.Read(ref _finished) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        await WaitConnectedAsync(client, TimeSpan.FromSeconds(30));
        await SettleEventsAsync();
        // Idle past the pools' 60 s trim age, then enough gen-2 collections for ArrayPool and friends to give back what
        // only the load's peak needed: what remains is what the process really retains.
        await Task.Delay(_o.Settle);
        for (int i = 0; i < 40; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
        return await MeasureHeapAsync();
    }

    private async Task SettleEventsAsync()
    {
        long seen = -1;
        while (Interlocked.Read(ref _eventsReceived) != seen)
        {
            seen = Interlocked.Read(ref _eventsReceived);
            await Task.Delay(300);
        }
    }

    // The smallest of three full, blocking, compacting collections a second apart: pools trimmed on gen-2 collections
    // (ArrayPool, socket buffers) make a single reading noisy.
    private static async Task<long> MeasureHeapAsync()
    {
        long min = long.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            min = Math.Min(min, GC.GetTotalMemory(true));
            await Task.Delay(1000);
        }
        return min;
    }

    private static async Task WaitConnectedAsync(AmiClient client, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while ((await client.GetServersAsync()).Single().State != AmiConnectionState.Connected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the soak server did not reconnect");
            }
            await Task.Delay(20);
        }
    }

    private static async Task WaitUntilAsync(Stopwatch clock, TimeSpan at)
    {
        while (clock.Elapsed < at)
        {
            await Task.Delay(100);
        }
    }

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024.0):0.00} MB";

    private sealed class EventCounter : ReceiveActor
    {
        public EventCounter(SoakRun run) => Receive<AmiEventReceived>(_ => Interlocked.Increment(ref run._eventsReceived));
    }
}

/// <summary>An open/closed gate that waiters await without blocking a thread.</summary>
internal sealed class AsyncGate
{
    private TaskCompletionSource? _closed;

    public bool IsOpen => Volatile.Read(ref _closed) is null;

    public Task WaitAsync() => Volatile.Read(ref _closed)?.Task ?? Task.CompletedTask;

    public void Close() => Interlocked.CompareExchange(ref _closed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    public void Open() => Interlocked.Exchange(ref _closed, null)?.TrySetResult();
}
