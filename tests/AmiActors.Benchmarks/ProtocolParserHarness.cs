using System.Diagnostics;
using AmiActors.Protocol;

namespace AmiActors.Benchmarks;

/// <summary>
/// A quick in-process check of the parser figures (best of many passes), for profiling between BenchmarkDotNet runs:
/// <c>dotnet run -c Release --project tests/AmiActors.Benchmarks -- protocol-parse [passes]</c>.
/// </summary>
public sealed class ProtocolParserHarness : IHarness
{
    public string Name => "protocol-parse";

    public string Description => "best-of-N ns/message for the parser on event-stream-2000 (contiguous, 4 KiB chunks, framing only, naive; parse then three lookups as strings, parse then every name and value as bytes)";

    public Task<int> RunAsync(string[] args)
    {
        int passes = args.Length > 0 ? int.Parse(args[0]) : 200;
        var bench = new ProtocolParserBenchmarks();
        bench.Setup();
        var variants = new (string Name, Func<int> Run)[]
        {
            ("naive, 4 KiB chunks", bench.NaiveChunked),
            ("parser, contiguous", bench.ParseContiguous),
            ("parser, 4 KiB chunks", bench.ParseChunked),
            ("framing only", bench.FrameOnly),
            ("parse + 3 lookups", bench.ParseAndLookUp),
            ("parse + read all", bench.ParseAndReadAll),
        };
        foreach (var (name, run) in variants)
        {
            double best = double.MaxValue;
            long allocated = 0;
            for (int i = 0; i < passes; i++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                int messages = run();
                double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / messages;
                allocated = (GC.GetAllocatedBytesForCurrentThread() - before) / messages;
                best = Math.Min(best, ns);
            }
            Console.WriteLine($"{name,-22} {best,8:F1} ns/msg  {1e9 / best / 1e6,6:F2} M msgs/s  {allocated,6} B/msg");
        }
        return Task.FromResult(0);
    }
}
