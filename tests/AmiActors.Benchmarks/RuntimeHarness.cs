using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;
using AmiActors.Protocol;
using AmiActors.TestKit;
using AmiActors.Testing;

namespace AmiActors.Benchmarks;

/// <summary>
/// Runtime throughput against the fake server on loopback, with an Akka.IO ceiling measured in the same run:
/// events delivered to a subscribed actor vs. a bare Akka.IO reader that only counts frames; Ping round trips,
/// sequential and pipelined.
/// <c>dotnet run -c Release --project tests/AmiActors.Benchmarks -- runtime [--events N] [--pings N] [--pipelined N] [--in-flight N] [--warmup-rounds N] [--event-rounds N] [--sequential-rounds N] [--event-stream]</c>
/// </summary>
public sealed class RuntimeHarness : IHarness
{
    public string Name => "runtime";

    public string Description => "events/s to a subscribed actor vs. an Akka.IO frame-counting ceiling; Ping round trips (sequential, pipelined) vs. raw Akka.IO Pingers";

    public async Task<int> RunAsync(string[] args)
    {
        int events = Arg(args, "--events", 1_000_000);
        int pings = Arg(args, "--pings", 20_000);
        int pipelined = Arg(args, "--pipelined", 200_000);
        int inFlight = Arg(args, "--in-flight", 100);
        int warmups = Math.Max(1, Arg(args, "--warmup-rounds", 3));
        int sequentialRoundCount = Math.Max(1, Arg(args, "--sequential-rounds", 5));
        int eventRoundCount = Math.Max(1, Arg(args, "--event-rounds", 3));
        bool eventStream = args.Contains("--event-stream");

        var template = FakeEventTemplates.FromCaptureFile(CapturedFixtures.Fixture("event-stream-2000.recv.txt"));
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.log-dead-letters = off");
        using var system = ActorSystem.Create("bench", config);
        Console.WriteLine($"runtime harness: {events:N0} events (templates: event-stream-2000), {pings:N0} sequential Pings, {pipelined:N0} Pings with {inFlight} in flight; EventStream publishing {(eventStream ? "on" : "off")}; {warmups} warm-up rounds per measurement; {eventRoundCount} interleaved event rounds; {sequentialRoundCount} interleaved sequential rounds; thread-pool spin limit {SpinLimit()}");

        // Warm up every path (buffers, and the JIT: code reaches its optimized tier only after enough calls and a background
        // recompilation), the same number of rounds for each path and its ceiling, then measure.
        await WarmUpAsync(warmups, () => CeilingAsync(system, template, Math.Min(events, 200_000)));

        await using var server = await FakeAsteriskServer.StartAsync();
        var settings0 = AmiSettings.FromSystem(system);
        var settings = settings0 with
        {
            PublishToEventStream = eventStream,
            // Measure delivery, not shedding: room for the whole flood in the subscriber's mailbox.
            SubscriberBufferSize = Math.Max(settings0.SubscriberBufferSize, events),
            HeartbeatInterval = null,
            Servers = [new AmiServerDefinition("bench", "127.0.0.1", server.Port, "admin", "amp111")],
        };
        var client = AmiClient.Start(system, settings);
        await WaitConnectedAsync(client);
        var session = (await server.WaitForLoginsAsync(1)).Single();

        await WarmUpAsync(warmups, () => DeliverAsync(system, client, server, session, template, Math.Min(events, 200_000)));
        // Like the sequential Pings below: the flood and its ceiling alternate in rounds, reported as medians, with the ratio
        // taken within each round.
        var ceilingRounds = new List<double>();
        var deliveredRounds = new List<double>();
        var shareRounds = new List<double>();
        for (int round = 1; round <= eventRoundCount; round++)
        {
            double roundCeiling = await CeilingAsync(system, template, events);
            double roundDelivered = await DeliverAsync(system, client, server, session, template, events);
            ceilingRounds.Add(roundCeiling);
            deliveredRounds.Add(roundDelivered);
            shareRounds.Add(roundDelivered / roundCeiling);
            Console.WriteLine($"events: round {round}: delivered to a subscribed actor {roundDelivered:N0}/s, Akka.IO ceiling {roundCeiling:N0}/s ({roundDelivered / roundCeiling:P0})");
        }
        double parseOnly = ParseOnly(template, events);
        Console.WriteLine($"events: Akka.IO ceiling: {Spread(ceilingRounds)}");
        Console.WriteLine($"events: delivered to a subscribed actor: {Spread(deliveredRounds)}; median {Median(shareRounds):P0} of the ceiling in the same round, lowest {shareRounds.Min():P0} (AmiParser alone, one thread, from memory: {parseOnly:N0}/s)");

        await WarmUpAsync(warmups, () => RawPipelinedAsync(system, Math.Min(pipelined, 20_000), inFlight));
        double rawPipe = await RawPipelinedAsync(system, pipelined, inFlight);
        Console.WriteLine($"actions: Akka.IO ceiling, raw Pings with {inFlight} in flight {rawPipe:N0}/s");

        // Sequential round trips, with two ceilings: the same raw Akka.IO pinger with one Ping in flight (write, wait for its
        // reply, write the next; no parsing, no correlation, no Ask), and a bare blocking Socket (no actors: the fake server's
        // own limit). On a small shared VM one sequential figure swings by a third from run to run, so the three are measured
        // in interleaved rounds and reported as medians, with the ratio to the Akka.IO ceiling taken within each round.
        await WarmUpAsync(warmups, () => RawPipelinedAsync(system, Math.Min(pings, 5_000), 1));
        await WarmUpAsync(warmups, () => SocketSequentialAsync(Math.Min(pings, 5_000)));
        await WarmUpAsync(warmups, () => SequentialAsync(client, Math.Min(pings, 5_000)));
        var rawRounds = new List<double>();
        var socketRounds = new List<double>();
        var sequentialRounds = new List<double>();
        var ratioRounds = new List<double>();
        for (int round = 1; round <= sequentialRoundCount; round++)
        {
            double raw = await RawPipelinedAsync(system, pings, 1);
            double bare = await SocketSequentialAsync(pings);
            double ours = await SequentialAsync(client, pings);
            rawRounds.Add(raw);
            socketRounds.Add(bare);
            sequentialRounds.Add(ours);
            ratioRounds.Add(ours / raw);
            Console.WriteLine($"actions: sequential round {round}: client {ours:N0}/s, raw Akka.IO pinger {raw:N0}/s ({ours / raw:P0}), bare Socket {bare:N0}/s");
        }
        double sequential = Median(sequentialRounds);
        Console.WriteLine($"actions: Akka.IO ceiling, raw sequential Ping round trips: {Spread(rawRounds)}");
        Console.WriteLine($"actions: fake-server ceiling, sequential Pings from a bare Socket (no actors): {Spread(socketRounds)}");
        Console.WriteLine($"actions: sequential Ping round trips: {Spread(sequentialRounds)}; median {Median(ratioRounds):P0} of the raw sequential ceiling in the same round");

        await WarmUpAsync(warmups, () => PipelinedAsync(client, Math.Min(pipelined, 20_000), inFlight));
        double pipe = await PipelinedAsync(client, pipelined, inFlight);
        Console.WriteLine($"actions: Pings with {inFlight} in flight {pipe:N0}/s ({pipe / sequential:F1}x sequential, {pipe / rawPipe:P0} of the raw ceiling)");

        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
        return 0;
    }

    private static async Task WarmUpAsync(int rounds, Func<Task> run)
    {
        for (int i = 0; i < rounds; i++)
        {
            await run();
        }
    }

    private static async Task<double> CeilingAsync(ActorSystem system, byte[] template, int count)
    {
        await using var server = await FakeAsteriskServer.StartAsync();
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = system.ActorOf(Props.Create(() => new FrameCountingReader(server.Port, count, done)));
        var session = (await server.WaitForSessionsAsync(1)).Single();
        var sw = Stopwatch.StartNew();
        _ = server.FloodEventsAsync(session, template, count);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        sw.Stop();
        system.Stop(reader);
        return count / sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> DeliverAsync(ActorSystem system, AmiClient client, FakeAsteriskServer server, FakeAmiSession session, byte[] template, int count)
    {
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var counter = system.ActorOf(Props.Create(() => new CountingSubscriber(count, done)));
        await client.SubscribeAsync(counter, "bench");
        var sw = Stopwatch.StartNew();
        _ = server.FloodEventsAsync(session, template, count);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        sw.Stop();
        await client.UnsubscribeAsync(counter, "bench");
        system.Stop(counter);
        var status = (await client.GetServersAsync()).Single();
        if (status.EventsDropped > 0)
        {
            Console.WriteLine($"  (events dropped so far: {status.EventsDropped:N0})");
        }
        return count / sw.Elapsed.TotalSeconds;
    }

    // The parser's share of the work: the same events parsed from memory in 8 KiB chunks (the Akka.IO read size).
    private static double ParseOnly(byte[] template, int count)
    {
        var parser = new AmiParser(new AmiParserOptions { ExpectBanner = false });
        int parsed = 0;
        var sw = Stopwatch.StartNew();
        while (parsed < count)
        {
            for (int offset = 0; offset < template.Length && parsed < count; offset += 8192)
            {
                ReadOnlySpan<byte> input = template.AsSpan(offset, Math.Min(8192, template.Length - offset));
                while (parser.Read(ref input, out _, out _) != AmiReadStatus.NeedMoreData)
                {
                    parsed++;
                }
            }
        }
        return parsed / sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> RawPipelinedAsync(ActorSystem system, int count, int inFlight)
    {
        await using var server = await FakeAsteriskServer.StartAsync();
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sw = Stopwatch.StartNew();
        var pinger = system.ActorOf(Props.Create(() => new RawPinger(server.Port, count, inFlight, done)));
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        sw.Stop();
        system.Stop(pinger);
        return count / sw.Elapsed.TotalSeconds;
    }

    // The fake server's own sequential limit: a bare blocking Socket writes one Ping and reads until its reply, no actors involved.
    private static async Task<double> SocketSequentialAsync(int count)
    {
        await using var server = await FakeAsteriskServer.StartAsync();
        return await Task.Run(() =>
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            socket.Connect(System.Net.IPAddress.Loopback, server.Port);
            var marker = "ActionID: p"u8.ToArray();
            var ping = "Action: Ping\r\nActionID: p\r\n\r\n"u8.ToArray();
            var buffer = new byte[64 * 1024];
            socket.Send("Action: Login\r\nUsername: admin\r\nSecret: amp111\r\n\r\n"u8);
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < count; i++)
            {
                socket.Send(ping);
                // Read until the reply's ActionID line and the blank line that ends it (the banner and login reply come first).
                int filled = 0;
                while (true)
                {
                    filled += socket.Receive(buffer, filled, buffer.Length - filled, System.Net.Sockets.SocketFlags.None);
                    ReadOnlySpan<byte> got = buffer.AsSpan(0, filled);
                    int k = got.IndexOf(marker);
                    if (k >= 0 && got[k..].IndexOf("\r\n\r\n"u8) >= 0)
                    {
                        break;
                    }
                }
            }
            return count / sw.Elapsed.TotalSeconds;
        });
    }

    private static async Task<double> SequentialAsync(AmiClient client, int count)
    {
        var ping = new AmiAction("Ping");
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            await client.SendAsync("bench", ping);
        }
        return count / sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> PipelinedAsync(AmiClient client, int count, int inFlight)
    {
        var ping = new AmiAction("Ping");
        int issued = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
        {
            while (Interlocked.Increment(ref issued) <= count)
            {
                await client.SendAsync("bench", ping);
            }
        }));
        return count / sw.Elapsed.TotalSeconds;
    }

    private static async Task WaitConnectedAsync(AmiClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await client.GetServersAsync()).Single().State != AmiConnectionState.Connected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the benchmark connection did not log in");
            }
            await Task.Delay(20);
        }
    }

    // The thread pool's UnfairSemaphoreSpinLimit (how long idle workers spin before sleeping) weighs on round-trip latency:
    // print where it comes from, so every figure says which runtime setting produced it.
    internal static string SpinLimit()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit");
        object? fromConfig = AppContext.GetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit");
        return fromEnvironment is not null ? $"{fromEnvironment} (DOTNET_ThreadPool_UnfairSemaphoreSpinLimit)"
            : fromConfig is not null ? $"{fromConfig} (runtimeconfig)"
            : "runtime default";
    }

    internal static string Spread(List<double> rates) => $"median {Median(rates):N0}/s (min {rates.Min():N0}, max {rates.Max():N0})";

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    internal static int Arg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1].Replace("_", ""), System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Counts AmiEventReceived messages; completes when the target is reached.</summary>
    private sealed class CountingSubscriber : ReceiveActor
    {
        public CountingSubscriber(int target, TaskCompletionSource<long> done)
        {
            long count = 0;
            Receive<AmiEventReceived>(_ =>
            {
                if (++count == target)
                {
                    done.TrySetResult(count);
                }
            });
        }
    }

    /// <summary>
    /// The action ceiling: raw Akka.IO, plain login, then Pings written ahead to keep <c>inFlight</c> outstanding; replies are
    /// counted by their ActionID line (no parsing, no correlation).
    /// </summary>
    private sealed class RawPinger : ReceiveActor
    {
        public RawPinger(int port, int count, int inFlight, TaskCompletionSource<long> done)
        {
            var marker = "ActionID: p"u8.ToArray();
            var ping = ByteString.FromBytes("Action: Ping\r\nActionID: p\r\n\r\n"u8.ToArray());
            long replies = 0, sent = 0;
            byte[] tail = [];
            IActorRef? connection = null;
            Context.System.Tcp().Tell(new Tcp.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)));
            Receive<Tcp.Connected>(_ =>
            {
                connection = Sender;
                connection.Tell(new Tcp.Register(Self));
                var first = ByteString.FromBytes("Action: Login\r\nUsername: admin\r\nSecret: amp111\r\n\r\n"u8.ToArray());
                int n = Math.Min(inFlight, count);
                for (int i = 0; i < n; i++)
                {
                    first = first.Concat(ping);
                }
                sent = n;
                connection.Tell(Tcp.Write.Create(first.Compact()));
            });
            Receive<Tcp.Received>(r =>
            {
                // Prepend the tail of the previous read so a marker split across reads is still found once.
                var joined = new byte[tail.Length + r.Data.Count];
                tail.CopyTo(joined, 0);
                r.Data.ToReadOnlySpan().CopyTo(joined.AsSpan(tail.Length));
                ReadOnlySpan<byte> span = joined;
                long got = 0;
                int from = 0;
                while (true)
                {
                    int k = span[from..].IndexOf(marker);
                    if (k < 0)
                    {
                        break;
                    }
                    got++;
                    from += k + marker.Length;
                }
                int keep = Math.Min(marker.Length - 1, span.Length - from);
                tail = span[^keep..].ToArray();
                replies += got;
                long more = Math.Min(got, count - sent);
                if (more > 0)
                {
                    var batch = ping;
                    for (int i = 1; i < more; i++)
                    {
                        batch = batch.Concat(ping);
                    }
                    sent += more;
                    connection!.Tell(Tcp.Write.Create(batch.Compact()));
                }
                if (replies >= count)
                {
                    done.TrySetResult(replies);
                }
            });
            ReceiveAny(_ => { });
        }
    }

    /// <summary>The ceiling: an Akka.IO connection whose handler only counts blank-line frame ends in the received bytes.</summary>
    private sealed class FrameCountingReader : ReceiveActor
    {
        private static readonly byte[] FrameEnd = "\r\n\r\n"u8.ToArray();

        public FrameCountingReader(int port, int target, TaskCompletionSource<long> done)
        {
            long frames = 0;
            byte[] carry = new byte[3];
            int carried = 0;
            Context.System.Tcp().Tell(new Tcp.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)));
            Receive<Tcp.Connected>(_ => Sender.Tell(new Tcp.Register(Self)));
            Receive<Tcp.Received>(r =>
            {
                var span = r.Data.ToReadOnlySpan();
                // Frame ends split across reads: glue the previous tail (up to 3 bytes) to the head of this read.
                if (carried > 0)
                {
                    Span<byte> joint = stackalloc byte[6];
                    carry.AsSpan(0, carried).CopyTo(joint);
                    int head = Math.Min(3, span.Length);
                    span[..head].CopyTo(joint[carried..]);
                    var j = joint[..(carried + head)];
                    for (int i = 0; i + 4 <= j.Length; i++)
                    {
                        if (i < carried && i + 4 > carried && j.Slice(i, 4).SequenceEqual(FrameEnd))
                        {
                            frames++;
                        }
                    }
                }
                int from = 0;
                while (true)
                {
                    int k = span[from..].IndexOf(FrameEnd);
                    if (k < 0)
                    {
                        break;
                    }
                    frames++;
                    from += k + 4;
                }
                carried = Math.Min(3, span.Length);
                span[^carried..].CopyTo(carry);
                if (frames >= target)
                {
                    done.TrySetResult(frames);
                }
            });
            ReceiveAny(_ => { });
        }
    }
}
