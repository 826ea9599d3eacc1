using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace AmiActors.Benchmarks;

/// <summary>
/// Which types a run allocates, sampled in-process from the runtime's <c>GCAllocationTick</c> events (option
/// <c>--alloc-types K</c>). The runtime raises one about every 100 KB allocated, naming the type of the object that crossed
/// the mark and the bytes allocated since the last one, so each type's share is a statistical estimate: good to a few
/// bytes per event over a run of a hundred thousand events or more, not exact.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);

    /// <summary>How many types <c>--alloc-types K</c> asks for (0 when absent).</summary>
    public static int TopCount(string[] args) => ExternalHarness.Int(args, "--alloc-types", 0);

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == RuntimeSource)
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is not { } names || e.Payload is not { } payload)
        {
            return;
        }
        int typeAt = names.IndexOf("TypeName");
        int amountAt = names.IndexOf("AllocationAmount64");
        if (typeAt < 0 || amountAt < 0 || payload[typeAt] is not string type)
        {
            return;
        }
        long amount = Convert.ToInt64(payload[amountAt], CultureInfo.InvariantCulture);
        _bytesByType.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }

    /// <summary>Stops sampling; the <paramref name="top"/> types by bytes per <paramref name="unit"/> (<paramref name="events"/> of them), one line each, then the rest and the total.</summary>
    public IReadOnlyList<string> Report(long events, int top, string unit = "event")
    {
        Dispose();
        double per = Math.Max(1, events);
        var ranked = _bytesByType.OrderByDescending(kv => kv.Value).ToList();
        var lines = ranked.Take(top).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Value / per,8:0.0} B/{unit}  {kv.Key}")).ToList();
        long rest = ranked.Skip(top).Sum(kv => kv.Value);
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"{rest / per,8:0.0} B/{unit}  ({Math.Max(0, ranked.Count - top)} other types)"));
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"{ranked.Sum(kv => kv.Value) / per,8:0.0} B/{unit}  sampled in all"));
        return lines;
    }
}
