using AmiActors.Events;
using AmiActors.Protocol;
using BenchmarkDotNet.Attributes;

namespace AmiActors.Benchmarks;

/// <summary>
/// What typing costs per event: parsing the real 2,000-event capture untyped (baseline) against parsing plus
/// <see cref="AmiEventReceived.Create"/> (the typed wrapper, one allocation, constant-time name lookup) plus reading a
/// typed number. Divide the allocated bytes by 2,000 for bytes per event. The <c>Lookup</c> category isolates wrapping
/// already-parsed messages: the generic wrapper the router allocates anyway against the typed one.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TypedEventBenchmarks
{
    private byte[] _bytes = [];
    private AmiMessage[] _events = [];

    [GlobalSetup]
    public void Setup()
    {
        _bytes = File.ReadAllBytes(AmiActors.Testing.CapturedFixtures.Fixture("event-stream-2000.recv.txt"));
        _events = AmiStreamDecoder.Decode(_bytes).Where(m => m.Kind == AmiMessageKind.Event).ToArray();
        if (_events.Length != 2000)
        {
            throw new InvalidOperationException($"expected 2000 events, found {_events.Length}");
        }
    }

    [Benchmark(Baseline = true, Description = "parse, untyped")]
    [BenchmarkCategory("Parse")]
    public int ParseUntyped()
    {
        var parser = new AmiParser();
        ReadOnlySpan<byte> input = _bytes;
        int events = 0;
        while (parser.Read(ref input, out var message, out _) != AmiReadStatus.NeedMoreData)
        {
            if (message is { Kind: AmiMessageKind.Event })
            {
                events++;
            }
        }
        return events;
    }

    [Benchmark(Description = "parse + generic AmiEventReceived")]
    [BenchmarkCategory("Parse")]
    public int ParseAndWrapGeneric()
    {
        var parser = new AmiParser();
        ReadOnlySpan<byte> input = _bytes;
        int events = 0;
        while (parser.Read(ref input, out var message, out _) != AmiReadStatus.NeedMoreData)
        {
            if (message is { Kind: AmiMessageKind.Event })
            {
                var wrapped = new AmiEventReceived("pbx-1", message);
                events += wrapped.ServerId.Length;
            }
        }
        return events;
    }

    [Benchmark(Description = "parse + typed Create + read one typed property")]
    [BenchmarkCategory("Parse")]
    public int ParseCreateTypedAndRead()
    {
        var parser = new AmiParser();
        ReadOnlySpan<byte> input = _bytes;
        int sum = 0;
        while (parser.Read(ref input, out var message, out _) != AmiReadStatus.NeedMoreData)
        {
            if (message is { Kind: AmiMessageKind.Event })
            {
                sum += ReadOne(AmiEventReceived.Create("pbx-1", message));
            }
        }
        return sum;
    }

    [Benchmark(Baseline = true, Description = "wrap 2000 parsed events, generic")]
    [BenchmarkCategory("Lookup")]
    public int WrapGeneric()
    {
        int n = 0;
        foreach (var message in _events)
        {
            n += new AmiEventReceived("pbx-1", message).ServerId.Length;
        }
        return n;
    }

    [Benchmark(Description = "wrap 2000 parsed events, typed Create")]
    [BenchmarkCategory("Lookup")]
    public int WrapTyped()
    {
        int n = 0;
        foreach (var message in _events)
        {
            n += AmiEventReceived.Create("pbx-1", message).ServerId.Length;
        }
        return n;
    }

    // One typed, allocation-free number per event where the type has one.
    private static int ReadOne(AmiEventReceived e) => e switch
    {
        NewExtenEvent x => x.Priority ?? 0,
        VarSetEvent x => x.ChannelState ?? 0,
        NewchannelEvent x => x.ChannelState ?? 0,
        HangupEvent x => x.Cause ?? 0,
        NewstateEvent x => x.ChannelState ?? 0,
        _ => 1,
    };
}
