using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Protocol;

namespace AmiActors.Benchmarks;

/// <summary>
/// The client measured the way a user would: against an AMI server in another process (<c>--url</c>), with the in-run
/// references (a naive string parser and a raw counter on a bare socket for events, a raw socket client for Pings) measured in
/// the same run, in interleaved rounds, reported as medians with per-round ratios.
/// <para>
/// Events: the server must flood every logged-in connection with N events followed by <c>Event: FloodComplete</c> (amiflood.py
/// <c>--events N</c>, or this project's <c>serve --events N</c>). Pings: any AMI server answering Ping.
/// </para>
/// <para>
/// The optional path <c>node</c> is the best existing client, node's asterisk-manager 0.2.0, in a node process of its own per
/// round (<see cref="NodePeer"/>; <c>npm ci --prefix tests/AmiActors.Benchmarks/peers/node-asterisk-manager</c> first, or
/// <c>--node-peer DIR</c> for another copy of that folder).
/// </para>
/// <c>external events --url tcp://user:secret@127.0.0.1:15038 [--events N] [--rounds R] [--paths naive,raw,stream,actor,topic,eventstream,node] [--buffer N] [--node-peer DIR] [--alloc-types K]</c>
/// <c>external pings --url tcp://user:secret@127.0.0.1:15038 [--pings N] [--inflight K] [--rounds R] [--paths raw,ami,node] [--config HOCON-FILE] [--variant NAME=HOCON-FILE ...] [--node-peer DIR] [--alloc-types K]</c>
/// </summary>
public sealed class ExternalHarness : IHarness
{
    private static readonly string[] FloodEventNames =
        ["Newchannel", "Newexten", "VarSet", "Newstate", "DialBegin", "QueueMemberStatus", "DialEnd", "BridgeEnter", "Hangup", "FloodComplete"];

    public string Name => "external";

    public string Description => "against a server in another process (--url): events per delivery path and Pings (sequential or --inflight K), with the naive parser and raw socket references, and optionally node asterisk-manager (path node), in the same run";

    public async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("events" or "pings"))
        {
            Console.Error.WriteLine("usage: external events|pings --url tcp://user:secret@host:port [--events N | --pings N] [--inflight K] [--rounds R] [--paths a,b,...] [--buffer N] [--config FILE] [--node-peer DIR] [--alloc-types K]");
            return 64;
        }
        var url = Target.Parse(Option(args, "--url") ?? Environment.GetEnvironmentVariable("AMI_URL")
            ?? throw new ArgumentException("--url tcp://user:secret@host:port is required"));
        int rounds = Math.Max(1, Int(args, "--rounds", 3));
        string? configFile = Option(args, "--config");
        var extra = configFile is null ? Config.Empty : ConfigurationFactory.ParseString(File.ReadAllText(configFile));
        bool events = args[0] == "events";
        var paths = (Option(args, "--paths") ?? (events ? "naive,raw,stream,actor,topic,eventstream" : "raw,ami")).Split(',');
        NodePeer? node = null;
        if (paths.Contains("node"))
        {
            (node, string? error) = await NodePeer.LocateAsync(Option(args, "--node-peer"));
            if (node is null)
            {
                Console.Error.WriteLine($"external: path 'node': {error}");
                return 69;
            }
        }
        Console.WriteLine($"external harness: {args[0]} against {url}; {rounds} interleaved rounds after one warm-up round; server GC {System.Runtime.GCSettings.IsServerGC}, "
            + $"{Environment.ProcessorCount} cores; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}{(configFile is null ? "" : "; config " + configFile)}");
        if (node is not null)
        {
            Console.WriteLine($"external harness: path node = asterisk-manager {NodePeer.PinnedVersion} on node {node.NodeVersion}, a new node process per round, from {node.Directory}");
        }
        try
        {
            return events
                ? await EventsAsync(url, Int(args, "--events", 1_000_000), rounds, paths, Int(args, "--buffer", 65_536), extra, node, AllocationSampler.TopCount(args))
                : await PingsAsync(url, Int(args, "--pings", 20_000), Math.Max(1, Int(args, "--inflight", 1)), rounds, paths, extra, Variants(args), node, AllocationSampler.TopCount(args));
        }
        catch (NodePeerException e)
        {
            Console.Error.WriteLine($"external: path 'node': {e.Message}");
            return 1;
        }
    }

    // ---- events ----

    // AllocatedBytes is this process's (null for a path in another process); PeakRssKb is the other process's peak RSS.
    private sealed record EventRun(long Events, double Seconds, long? AllocatedBytes, long Dropped, long? PeakRssKb = null)
    {
        public double Rate => Events / Seconds;

        public string PerEvent => AllocatedBytes is { } bytes ? (bytes / (double)Math.Max(1, Events)).ToString("N0", CultureInfo.CurrentCulture) : "-";
    }

    private static async Task<int> EventsAsync(Target url, int count, int rounds, string[] paths, int buffer, Config extra, NodePeer? node, int allocTypes)
    {
        Console.WriteLine($"events: {count:N0} per round; paths {string.Join(", ", paths)}; stream buffer {buffer:N0} events; subscriber mailbox limit from ami.events.subscriber-buffer-size");
        var results = paths.ToDictionary(p => p, _ => new List<EventRun>());
        for (int round = 0; round <= rounds; round++)
        {
            foreach (var path in paths)
            {
                // --alloc-types K: the types this process allocated most per event over the round (sampled; not for node, in its own process).
                var sampler = round > 0 && path != "node" && allocTypes > 0 ? new AllocationSampler() : null;
                var run = await EventRoundAsync(path, url, count, buffer, extra, node);
                foreach (var line in sampler?.Report(run.Events, allocTypes) ?? [])
                {
                    Console.WriteLine($"events: alloc {path,-12} {line}");
                }
                if (round == 0)
                {
                    Console.WriteLine($"events: warm-up {path,-12} {run.Rate,12:N0}/s");
                    continue;
                }
                results[path].Add(run);
                string cost = run.PeakRssKb is { } rss ? $"peak RSS {rss / 1024.0,5:N0} MB (its own process)" : $"{run.PerEvent,7} B allocated per event";
                Console.WriteLine($"events: round {round} {path,-12} {run.Events,9:N0} events in {run.Seconds,6:0.000} s = {run.Rate,12:N0}/s, {cost}{(run.Dropped > 0 ? $", {run.Dropped:N0} dropped" : "")}");
            }
        }
        bool separate = paths.Contains("node");
        Console.WriteLine();
        Console.WriteLine($"| path | events/s (median) | min-max | x naive parser (median of per-round ratios) | B allocated/event | dropped |{(separate ? " peak RSS of its own process (median) |" : "")}");
        Console.WriteLine($"|---|---:|---:|---:|---:|---:|{(separate ? "---:|" : "")}");
        foreach (var path in paths)
        {
            var runs = results[path];
            string ratio = results.TryGetValue("naive", out var naive)
                ? Median(runs.Select((r, i) => r.Rate / naive[i].Rate).ToList()).ToString("0.00x", CultureInfo.InvariantCulture)
                : "-";
            string perEvent = runs.All(r => r.AllocatedBytes is not null)
                ? Median(runs.Select(r => r.AllocatedBytes!.Value / (double)Math.Max(1, r.Events)).ToList()).ToString("N0", CultureInfo.CurrentCulture)
                : "-";
            string rss = runs.All(r => r.PeakRssKb is not null) ? $"{Median(runs.Select(r => r.PeakRssKb!.Value / 1024.0).ToList()):N0} MB" : "-";
            Console.WriteLine($"| {Label(path)} | {Median(runs.Select(r => r.Rate).ToList()):N0} | {runs.Min(r => r.Rate):N0}-{runs.Max(r => r.Rate):N0} | {ratio} | "
                + $"{perEvent} | {runs.Sum(r => r.Dropped):N0} |{(separate ? $" {rss} |" : "")}");
        }
        return 0;
    }

    private static string Label(string path) => path switch
    {
        "naive" => "naive string parser (reference, bare socket)",
        "raw" => "raw frame counter (ceiling, bare socket)",
        "stream" => "ami `Events()` (Akka.Streams)",
        "actor" => "ami actor subscriber (all events)",
        "topic" => "ami topic subscriber (by event name)",
        "eventstream" => "ami EventStream subscriber",
        "node" => NodeLabel,
        _ => path,
    };

    private const string NodeLabel = $"node asterisk-manager {NodePeer.PinnedVersion} (best existing client, own process)";

    private static Task<EventRun> EventRoundAsync(string path, Target url, int count, int buffer, Config extra, NodePeer? node) => path switch
    {
        "naive" => Task.Run(() => SocketEvents(url, count, naive: true)),
        "raw" => Task.Run(() => SocketEvents(url, count, naive: false)),
        "stream" or "actor" or "topic" or "eventstream" => AmiEventsAsync(path, url, count, buffer, extra),
        "node" => NodeEventsAsync(node!, url, count),
        _ => throw new ArgumentException($"unknown path '{path}' (naive, raw, stream, actor, topic, eventstream, node)"),
    };

    // asterisk-manager's 'managerevent' for every event until FloodComplete, timed in its process from the first event.
    private static async Task<EventRun> NodeEventsAsync(NodePeer node, Target url, int count)
    {
        var result = await node.EventsAsync(url.Host, url.Port, url.Username, url.Secret, count);
        if (!result.Matched)
        {
            Console.WriteLine($"events: node: counted {result.Count:N0} events, expected {count:N0} (FloodComplete announced {result.Announced?.ToString("N0", CultureInfo.CurrentCulture) ?? "no count"})");
        }
        // asterisk-manager counts no drops of its own: what it did not deliver of the N events shows as dropped.
        return new EventRun(result.Count, result.Seconds, null, Math.Max(0, count - result.Count), result.PeakRssKb);
    }

    // A bare socket: log in, then read until FloodComplete, message by message (split at "\r\n\r\n" in a 4 MiB buffer). The raw
    // counter looks at the first bytes only; the naive parser turns every message into a string, splits its lines and keeps
    // every header as a pair of strings in a list (amiload's baseline `parse`, the in-run reference of issue 16).
    private static EventRun SocketEvents(Target url, int count, bool naive)
    {
        using var socket = Connect(url);
        var buffer = new byte[4 << 20];
        long events = 0;
        bool complete = false;
        long start = 0;
        long allocatedBefore = GC.GetTotalAllocatedBytes(true);
        Send(socket, $"Action: Login\r\nActionID: 1\r\nUsername: {url.Username}\r\nSecret: {url.Secret}\r\n\r\n");
        int carried = 0;
        while (!complete)
        {
            int n = socket.Receive(buffer, carried, buffer.Length - carried, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("the server closed the connection before FloodComplete");
            }
            var span = buffer.AsSpan(0, carried + n);
            int at;
            int messageStart = 0;
            while (!complete && (at = span[messageStart..].IndexOf("\r\n\r\n"u8)) >= 0)
            {
                var message = span.Slice(messageStart, at);
                messageStart += at + 4;
                if (!message.StartsWith("Event:"u8))
                {
                    continue; // the banner line comes with the login response; responses are not events
                }
                if (start == 0)
                {
                    start = Stopwatch.GetTimestamp();
                }
                if (!naive)
                {
                    if (message.StartsWith("Event: FloodComplete"u8))
                    {
                        complete = true;
                    }
                    else
                    {
                        events++;
                    }
                    continue;
                }
                string text = Encoding.UTF8.GetString(message);
                string[] lines = text.Split("\r\n");
                var fields = new List<KeyValuePair<string, string>>(lines.Length);
                foreach (var line in lines)
                {
                    int c = line.IndexOf(':');
                    if (c >= 0)
                    {
                        fields.Add(new KeyValuePair<string, string>(line.Substring(0, c), line.Substring(c + 1).TrimStart()));
                    }
                }
                if (fields.Count > 0 && fields[0].Key == "Event")
                {
                    if (fields[0].Value == "FloodComplete")
                    {
                        complete = true;
                    }
                    else
                    {
                        events++;
                    }
                }
            }
            carried = span.Length - messageStart;
            span[messageStart..].CopyTo(buffer);
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(true) - allocatedBefore;
        Send(socket, "Action: Logoff\r\nActionID: 2\r\n\r\n");
        return new EventRun(events, seconds, allocated, 0);
    }

    private static async Task<EventRun> AmiEventsAsync(string path, Target url, int count, int buffer, Config extra)
    {
        var config = extra
            .WithFallback(ConfigurationFactory.ParseString($"""
                akka.loglevel = ERROR
                akka.log-dead-letters = off
                ami.events.publish-to-event-stream = {(path == "eventstream" ? "on" : "off")}
                ami.connection.heartbeat-interval = off
                ami.reconnect.max-attempts = 1
                """));
        using var system = ActorSystem.Create("external", config);
        var client = AmiClient.Start(system);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var counter = new Counter();
        UniqueKillSwitch? killSwitch = null;
        switch (path)
        {
            case "stream":
                var ((subscribed, kill), _) = client.Events("x", null, buffer)
                    .ViaMaterialized(KillSwitches.Single<AmiEventReceived>(), Keep.Both)
                    .ToMaterialized(Sink.ForEach<AmiEventReceived>(e => counter.On(e, done)), Keep.Both)
                    .Run(system.Materializer());
                killSwitch = kill;
                await subscribed;
                break;
            case "actor":
                await client.SubscribeAsync(system.ActorOf(Props.Create(() => new CountingActor(counter, done))), "x");
                break;
            case "topic":
                await client.SubscribeAsync(system.ActorOf(Props.Create(() => new CountingActor(counter, done))), "x", FloodEventNames);
                break;
            case "eventstream":
                system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new CountingActor(counter, done))), typeof(AmiEventReceived));
                break;
        }
        long allocatedBefore = GC.GetTotalAllocatedBytes(true);
        await client.AddServerAsync(new AmiServerDefinition("x", url.Host, url.Port, url.Username, url.Secret));
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        long allocated = GC.GetTotalAllocatedBytes(true) - allocatedBefore;
        double seconds = Stopwatch.GetElapsedTime(counter.First, counter.Last).TotalSeconds;
        long dropped = (await client.GetServersAsync()).Single().EventsDropped;
        killSwitch?.Shutdown();
        await client.RemoveServerAsync("x");
        await system.Terminate();
        if (counter.Events < count && dropped == 0)
        {
            Console.WriteLine($"events: {path}: {counter.Events:N0} of {count:N0} events and nothing counted as dropped");
        }
        return new EventRun(counter.Events, seconds, allocated, dropped);
    }

    private sealed class Counter
    {
        public long Events;
        public long First;
        public long Last;

        public void On(AmiEventReceived e, TaskCompletionSource done)
        {
            long now = Stopwatch.GetTimestamp();
            if (First == 0)
            {
                First = now;
            }
            if (e.Event.HasValue("Event", "FloodComplete"))
            {
                Last = now;
                done.TrySetResult();
                return;
            }
            Events++;
        }
    }

    private sealed class CountingActor : UntypedActor
    {
        private readonly Counter _counter;
        private readonly TaskCompletionSource _done;

        public CountingActor(Counter counter, TaskCompletionSource done)
        {
            _counter = counter;
            _done = done;
        }

        protected override void OnReceive(object message)
        {
            if (message is AmiEventReceived e)
            {
                _counter.On(e, _done);
            }
        }
    }

    // ---- pings ----

    // Every ami variant (--variant NAME=HOCON-FILE, repeatable; "ami" is the defaults) runs in its own actor system in this
    // process, so the levers are measured in the same interleaved rounds as the raw client. --inflight K keeps K Pings awaiting
    // their replies on every path (1, the default: sequential).
    private static async Task<int> PingsAsync(Target url, int count, int inflight, int rounds, string[] paths, Config extra, IReadOnlyList<(string Name, Config Config)> variants, NodePeer? node, int allocTypes)
    {
        if (paths.FirstOrDefault(p => p is not ("raw" or "ami" or "node")) is { } unknown)
        {
            throw new ArgumentException($"unknown path '{unknown}' (raw, ami, node)");
        }
        var all = new List<(string Name, Config? Config)>();
        all.AddRange(paths.Where(p => p != "ami").Select(p => (p, (Config?)null)));
        if (paths.Contains("ami"))
        {
            all.Add(("ami", Config.Empty));
        }
        all.AddRange(variants.Select(v => (v.Name, (Config?)v.Config)));
        string what = inflight == 1 ? "sequential Pings" : $"Pings, {inflight} in flight,";
        Console.WriteLine($"pings: {count:N0} {what} per round; {string.Join(", ", all.Select(a => a.Name))}");
        var results = all.ToDictionary(p => p.Name, _ => new List<double>());
        // CPU per Ping: this process's user + system time over the run for raw and ami (one path runs at a time; every
        // actor system idles meanwhile), the node process's own over its timed Pings. Bytes: this process's allocation.
        var cpuPerPing = all.ToDictionary(p => p.Name, _ => new List<double>());
        var bytesPerPing = all.ToDictionary(p => p.Name, _ => new List<double>());
        var clients = new Dictionary<string, (ActorSystem System, AmiClient Client)>();
        foreach (var (name, config) in all.Where(a => a.Config is not null))
        {
            var effective = ConfigurationFactory.ParseString("akka.loglevel = ERROR\nakka.log-dead-letters = off\nami.connection.heartbeat-interval = off");
            effective = extra.IsEmpty ? effective : extra.WithFallback(effective);
            effective = config!.IsEmpty ? effective : config.WithFallback(effective);
            var system = ActorSystem.Create("external-" + clients.Count, effective);
            var client = AmiClient.Start(system);
            await client.AddServerAsync(new AmiServerDefinition("x", url.Host, url.Port, url.Username, url.Secret));
            await SendPingsAsync(client, 200, 1, TimeSpan.FromSeconds(30)); // waits out the login
            clients[name] = (system, client);
        }
        for (int round = 0; round <= rounds; round++)
        {
            foreach (var (name, _) in all)
            {
                double rate = 0;
                double? cpuSeconds = null;
                double? bytes = null;
                if (name == "node")
                {
                    // A new node process every round: its first 200 Pings (untimed) wait out the login and warm its JIT, as
                    // the 200 Pings before the rounds do for the ami clients.
                    var result = await node!.PingsAsync(url.Host, url.Port, url.Username, url.Secret, count, inflight, warmup: 200);
                    rate = result.Rate;
                    cpuSeconds = result.CpuSeconds;
                }
                else
                {
                    // --alloc-types K: the types the round allocated most per Ping (sampled, in the last round only: the sampler's own
                    // work would weigh on the CPU and rate figures of its round).
                    var sampler = round == rounds && round > 0 && allocTypes > 0 ? new AllocationSampler() : null;
                    long allocated0 = GC.GetTotalAllocatedBytes(false);
                    (cpuSeconds, _) = await TrickleClientHarness.MeasureAsync(async () => rate = name == "raw"
                        ? await Task.Run(() => inflight == 1 ? SocketPings(url, count) : SocketPingsPipelined(url, count, inflight))
                        : await SendPingsAsync(clients[name].Client, count, inflight, null));
                    bytes = (GC.GetTotalAllocatedBytes(false) - allocated0) / (double)count;
                    foreach (var line in sampler?.Report(count, allocTypes, "Ping") ?? [])
                    {
                        Console.WriteLine($"pings: alloc {name,-12} {line}");
                    }
                }
                double? cpuUs = cpuSeconds * 1e6 / count;
                string cpuText = cpuUs is { } c ? $"   {c,6:N1} us CPU/Ping" : "";
                string bytesText = bytes is { } b ? $"   {b,6:N0} B/Ping" : "";
                string when = round == 0 ? "warm-up" : $"round {round}";
                Console.WriteLine($"pings: {when} {name,-12} {rate,10:N0}/s{cpuText}{bytesText}");
                if (round == 0)
                {
                    continue;
                }
                results[name].Add(rate);
                if (cpuUs is { } us)
                {
                    cpuPerPing[name].Add(us);
                }
                if (bytes is { } bb)
                {
                    bytesPerPing[name].Add(bb);
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine($"| path | {(inflight == 1 ? "sequential Pings/s" : $"Pings/s, {inflight} in flight")} (median) | min-max | x raw socket client (median of per-round ratios) | CPU per Ping (median, min-max) | x node's CPU per Ping (median of per-round ratios) | B allocated per Ping |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, _) in all)
        {
            var runs = results[name];
            string ratio = results.TryGetValue("raw", out var raw) ? MedianRatio(runs, raw) : "-";
            string label = name switch
            {
                "raw" => "raw C# socket client (reference)",
                "ami" => "ami `SendAsync`, defaults",
                "node" => NodeLabel,
                _ => $"ami `SendAsync`, {name}",
            };
            var cpus = cpuPerPing[name];
            string cpu = cpus.Count == runs.Count ? $"{Median(cpus):N1} us ({cpus.Min():N1}-{cpus.Max():N1})" : "-";
            string cpuRatio = cpus.Count == runs.Count && name != "node" && cpuPerPing.TryGetValue("node", out var nodeCpu) && nodeCpu.Count == runs.Count
                ? MedianRatio(cpus, nodeCpu)
                : "-";
            var allocated = bytesPerPing[name];
            string bytesText = allocated.Count == runs.Count ? Median(allocated).ToString("N0", CultureInfo.CurrentCulture) : "-";
            Console.WriteLine($"| {label} | {Median(runs):N0} | {runs.Min():N0}-{runs.Max():N0} | {ratio} | {cpu} | {cpuRatio} | {bytesText} |");
        }
        foreach (var (system, client) in clients.Values)
        {
            await client.RemoveServerAsync("x");
            await system.Terminate();
        }
        return 0;
    }

    // The median of the per-round ratios of values to baseline (same rounds, same order).
    private static string MedianRatio(IReadOnlyList<double> values, IReadOnlyList<double> baseline) =>
        Median(values.Select((v, i) => v / baseline[i]).ToList()).ToString("0.00x", CultureInfo.InvariantCulture);

    private static async Task<double> SendPingsAsync(AmiClient client, int count, int inflight, TimeSpan? firstTimeout)
    {
        var ping = new AmiAction("Ping");
        var deadline = Stopwatch.GetTimestamp() + (long)((firstTimeout ?? TimeSpan.Zero).TotalSeconds * Stopwatch.Frequency);
        while (firstTimeout is not null)
        {
            try
            {
                await client.SendAsync("x", ping);
                break;
            }
            catch (AmiNotConnectedException) when (Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(20);
            }
        }
        var sw = Stopwatch.StartNew();
        if (inflight == 1)
        {
            for (int i = 0; i < count; i++)
            {
                await client.SendAsync("x", ping);
            }
            return count / sw.Elapsed.TotalSeconds;
        }
        int next = 0;
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                await client.SendAsync("x", ping);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, Math.Min(inflight, count)).Select(_ => Task.Run(Worker)));
        return count / sw.Elapsed.TotalSeconds;
    }

    // The raw C# client: one blocking socket, write a Ping, read until its reply ends, write the next.
    private static double SocketPings(Target url, int count)
    {
        using var socket = Connect(url);
        socket.NoDelay = true;
        var buffer = new byte[64 * 1024];
        Send(socket, $"Action: Login\r\nActionID: login\r\nUsername: {url.Username}\r\nSecret: {url.Secret}\r\n\r\n");
        ReadReply(socket, buffer, "ActionID: login\r\n"u8);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            string id = i.ToString(CultureInfo.InvariantCulture);
            Send(socket, "Action: Ping\r\nActionID: " + id + "\r\n\r\n");
            ReadReply(socket, buffer, Encoding.ASCII.GetBytes("ActionID: " + id + "\r\n"));
        }
        double rate = count / sw.Elapsed.TotalSeconds;
        Send(socket, "Action: Logoff\r\nActionID: bye\r\n\r\n");
        return rate;
    }

    // The raw C# client with K Pings awaiting replies: K Pings first, then for every reply read one more, the Pings a read
    // frees written together. Every message that starts with "Response:" is a Ping's reply (the server answers nothing else).
    private static double SocketPingsPipelined(Target url, int count, int inflight)
    {
        using var socket = Connect(url);
        socket.NoDelay = true;
        var buffer = new byte[64 * 1024];
        Send(socket, $"Action: Login\r\nActionID: login\r\nUsername: {url.Username}\r\nSecret: {url.Secret}\r\n\r\n");
        ReadReply(socket, buffer, "ActionID: login\r\n"u8);
        var sw = Stopwatch.StartNew();
        var pending = new StringBuilder();
        int sent = 0;
        int answered = 0;
        for (; sent < Math.Min(inflight, count); sent++)
        {
            pending.Append("Action: Ping\r\nActionID: ").Append(sent).Append("\r\n\r\n");
        }
        Send(socket, pending.ToString());
        int carried = 0;
        while (answered < count)
        {
            int n = socket.Receive(buffer, carried, buffer.Length - carried, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("the server closed the connection");
            }
            var span = buffer.AsSpan(0, carried + n);
            int at;
            int messageStart = 0;
            pending.Clear();
            while ((at = span[messageStart..].IndexOf("\r\n\r\n"u8)) >= 0)
            {
                if (span[messageStart..].StartsWith("Response:"u8))
                {
                    answered++;
                    if (sent < count)
                    {
                        pending.Append("Action: Ping\r\nActionID: ").Append(sent++).Append("\r\n\r\n");
                    }
                }
                messageStart += at + 4;
            }
            if (pending.Length > 0)
            {
                Send(socket, pending.ToString());
            }
            carried = span.Length - messageStart;
            span[messageStart..].CopyTo(buffer);
        }
        double rate = count / sw.Elapsed.TotalSeconds;
        Send(socket, "Action: Logoff\r\nActionID: bye\r\n\r\n");
        return rate;
    }

    private static void ReadReply(Socket socket, byte[] buffer, ReadOnlySpan<byte> actionIdLine)
    {
        int filled = 0;
        while (true)
        {
            int n = socket.Receive(buffer, filled, buffer.Length - filled, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("the server closed the connection");
            }
            filled += n;
            var span = buffer.AsSpan(0, filled);
            int id = span.IndexOf(actionIdLine);
            if (id >= 0 && span[id..].IndexOf("\r\n\r\n"u8) >= 0)
            {
                return;
            }
            if (filled == buffer.Length)
            {
                filled = 0; // events in between: drop them
            }
        }
    }

    private static Socket Connect(Target url)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(url.Host, url.Port);
        return socket;
    }

    private static void Send(Socket socket, string text) => socket.Send(Encoding.ASCII.GetBytes(text));

    // ---- helpers ----

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static List<(string Name, Config Config)> Variants(string[] args)
    {
        var variants = new List<(string, Config)>();
        for (int i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--variant")
            {
                var (name, file) = args[i + 1].Split('=', 2) is [var n, var f] ? (n, f) : throw new ArgumentException("--variant NAME=HOCON-FILE");
                variants.Add((name, ConfigurationFactory.ParseString(File.ReadAllText(file))));
            }
        }
        return variants;
    }

    internal static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static int Int(string[] args, string name, int fallback) =>
        Option(args, name) is { } text ? int.Parse(text.Replace("_", ""), CultureInfo.InvariantCulture) : fallback;

    /// <summary><c>tcp://user:secret@host:port</c>; the secret is never printed.</summary>
    private sealed record Target(string Host, int Port, string Username, string Secret)
    {
        public static Target Parse(string text)
        {
            var uri = new Uri(text);
            if (uri.Scheme != "tcp")
            {
                throw new ArgumentException("only tcp://user:secret@host:port is supported by the harness");
            }
            var parts = uri.UserInfo.Split(':', 2);
            if (parts.Length != 2)
            {
                throw new ArgumentException("the URL needs user:secret@");
            }
            return new Target(uri.Host, uri.Port > 0 ? uri.Port : 5038, Uri.UnescapeDataString(parts[0]), Uri.UnescapeDataString(parts[1]));
        }

        public override string ToString() => $"tcp://{Username}@{Host}:{Port}";
    }
}
