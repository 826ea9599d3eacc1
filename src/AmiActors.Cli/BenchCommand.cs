using System.Diagnostics;
using System.Globalization;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Protocol;

namespace AmiActors.Cli;

/// <summary><c>ami bench events</c> and <c>ami bench actions</c>: progress on a terminal, then one summary line for harnesses.</summary>
internal static class BenchCommand
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The stream buffer of <c>ami bench events</c>, in events (64 times the default of <c>Events()</c>): what the counting sink has
    /// not taken yet waits here and in the stream's mailbox (as many again); beyond that events are dropped and counted.
    /// </summary>
    internal const int BenchBufferSize = 65_536;

    public static async Task<int> EventsAsync(CliConsole console, ConnectionSpec connection, long count, CancellationToken ct)
    {
        long received = 0;
        long first = 0;
        long last = 0;
        UniqueKillSwitch? killSwitch = null;
        Task? done = null;
        // Subscribe first, then connect: a flood that starts with the login is counted from its first event.
        await using var session = await ClientSession.OpenAsync(connection.Server, connection.ConnectTimeout, ct, beforeConnect: async (system, client) =>
        {
            var ((subscribed, kill), completion) = client.Events(ClientSession.ServerId, null, bufferSize: BenchBufferSize)
                .Take(count)
                .ViaMaterialized(KillSwitches.Single<AmiEventReceived>(), Keep.Both)
                .ToMaterialized(Sink.ForEach<AmiEventReceived>(_ =>
                {
                    long now = Stopwatch.GetTimestamp();
                    if (Interlocked.Increment(ref received) == 1)
                    {
                        Volatile.Write(ref first, now);
                    }
                    Volatile.Write(ref last, now);
                }), Keep.Both)
                .Run(system.Materializer());
            (killSwitch, done) = (kill, completion);
            await subscribed.ConfigureAwait(false);
        }).ConfigureAwait(false);
        using var progress = StartProgress(console, "events", count, () => Volatile.Read(ref received));
        await using (ct.Register(killSwitch!.Shutdown))
        {
            await done!.ConfigureAwait(false);
        }
        await progress.StopAsync().ConfigureAwait(false);
        var dropped = (await session.Client.GetServersAsync(CancellationToken.None).ConfigureAwait(false)).FirstOrDefault()?.EventsDropped ?? 0;
        console.Stdout.WriteLine(Summary("events", Volatile.Read(ref received), Volatile.Read(ref first), Volatile.Read(ref last))
            + string.Create(CultureInfo.InvariantCulture, $" dropped={dropped} buffer={BenchBufferSize}"));
        if (dropped > 0)
        {
            console.Stderr.WriteLine($"ami: {dropped} events were dropped by the client (the counting sink fell behind).");
        }
        return ExitCodes.Success;
    }

    public static async Task<int> ActionsAsync(CliConsole console, ConnectionSpec connection, long count, int inflight, long warmup, CancellationToken ct)
    {
        await using var session = await ClientSession.OpenAsync(connection.Server, connection.ConnectTimeout, ct).ConfigureAwait(false);
        var ping = new AmiAction("Ping");
        if (warmup > 0)
        {
            // Not measured: the first thousands of calls run code the JIT has not optimized yet (tiered compilation).
            console.Stderr.WriteLine($"ami: {warmup} warm-up Pings first, not counted");
            long sent = 0;
            async Task WarmUp()
            {
                while (!ct.IsCancellationRequested && Interlocked.Increment(ref sent) <= warmup)
                {
                    await session.Client.SendRawAsync(ClientSession.ServerId, ping, null, ct).ConfigureAwait(false);
                }
            }
            await Task.WhenAll(Enumerable.Range(0, (int)Math.Min(inflight, warmup)).Select(_ => Task.Run(WarmUp, CancellationToken.None))).ConfigureAwait(false);
        }
        long next = 0;
        long completed = 0;
        long failed = 0;
        long first = 0;
        long last = 0;
        string? firstError = null;
        using var progress = StartProgress(console, "actions", count, () => Volatile.Read(ref completed));
        async Task Worker()
        {
            while (!ct.IsCancellationRequested && Interlocked.Increment(ref next) <= count)
            {
                long started = Stopwatch.GetTimestamp();
                Interlocked.CompareExchange(ref first, started, 0);
                try
                {
                    var result = await session.Client.SendRawAsync(ClientSession.ServerId, ping, null, ct).ConfigureAwait(false);
                    if (!result.IsSuccess)
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstError, result.Message ?? "Response: Error", null);
                    }
                }
                catch (Exception e) when (e is AmiException or OperationCanceledException)
                {
                    if (ct.IsCancellationRequested)
                    {
                        return;
                    }
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
                Interlocked.Increment(ref completed);
                long now = Stopwatch.GetTimestamp();
                long seen;
                while ((seen = Volatile.Read(ref last)) < now && Interlocked.CompareExchange(ref last, now, seen) != seen)
                {
                }
            }
        }
        var workers = Enumerable.Range(0, (int)Math.Min(inflight, count)).Select(_ => Task.Run(Worker, CancellationToken.None)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        await progress.StopAsync().ConfigureAwait(false);
        console.Stdout.WriteLine(Summary("actions", Volatile.Read(ref completed), Volatile.Read(ref first), Volatile.Read(ref last)));
        if (failed > 0)
        {
            console.Stderr.WriteLine($"ami: {failed} actions failed; first: {firstError}");
            return ExitCodes.Failure;
        }
        return ExitCodes.Success;
    }

    /// <summary><c>events=1000000 seconds=2.910 rate=343642/s</c>: seconds from the first item to the last.</summary>
    internal static string Summary(string what, long n, long firstTimestamp, long lastTimestamp)
    {
        double seconds = n == 0 ? 0 : Stopwatch.GetElapsedTime(firstTimestamp, lastTimestamp).TotalSeconds;
        long rate = seconds > 0 ? (long)(n / seconds) : 0;
        return string.Create(CultureInfo.InvariantCulture, $"{what}={n} seconds={seconds:0.000} rate={rate}/s");
    }

    private static Progress StartProgress(CliConsole console, string what, long total, Func<long> done) => new(console, what, total, done);

    /// <summary>Redraws one progress line on the terminal; does nothing when the output is not a terminal.</summary>
    private sealed class Progress : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Progress(CliConsole console, string what, long total, Func<long> done)
        {
            _loop = console.IsInteractive ? Loop(console.Stderr, what, total, done, _stop.Token) : Task.CompletedTask;
        }

        private static async Task Loop(TextWriter output, string what, long total, Func<long> done, CancellationToken ct)
        {
            using var timer = new PeriodicTimer(ProgressInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
                {
                    long n = done();
                    await output.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"\r{what}: {n}/{total} ({100.0 * n / total:0.0}%)   ")).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
            await output.WriteAsync("\r" + new string(' ', 60) + "\r").ConfigureAwait(false);
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
