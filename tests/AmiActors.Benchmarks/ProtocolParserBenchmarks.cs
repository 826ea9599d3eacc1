using AmiActors.Protocol;
using BenchmarkDotNet.Attributes;

namespace AmiActors.Benchmarks;

/// <summary>
/// Parses the 2,000 events of the event-stream-2000 fixture (the bytes after the banner and the login response,
/// so every operation is one event), from one contiguous buffer and in 4 KiB chunks, against the naive
/// string-per-line parser as the baseline. <c>OperationsPerInvoke</c> makes every figure per message.
/// Run: <c>dotnet run -c Release --project tests/AmiActors.Benchmarks -- --filter '*ProtocolParser*' --job short --inProcess --iterationCount 15</c>
/// (<c>--inProcess</c> because on a loaded machine BenchmarkDotNet's own rebuild can pass its 2-minute build timeout;
/// Min and Median are shown because other processes inflate the mean).
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
public class ProtocolParserBenchmarks
{
    private const int Messages = 2000;
    private const int ChunkSize = 4 * 1024;

    private byte[] _events = [];
    private AmiParser _parser = null!;
    private int _count;
    private int _kinds;
    private Action<Dictionary<string, string>> _naiveSink = null!;

    [GlobalSetup]
    public void Setup()
    {
        _events = ProtocolFixtures.EventStreamAfterLogin();
        _naiveSink = d => { _count++; _kinds += d.Count; };
        _parser = new AmiParser(new AmiParserOptions { ExpectBanner = false });
        // Sanity: the inputs hold exactly the messages the figures are divided by.
        if (ParseContiguous() != Messages || ParseChunked() != Messages || NaiveContiguous() != Messages || FrameOnly() != Messages
            || ParseAndLookUp() != Messages || ParseAndReadAll() != Messages)
        {
            throw new InvalidOperationException("event-stream-2000 did not yield 2,000 messages after the login exchange");
        }
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "Naive (string per line), contiguous")]
    public int NaiveContiguous()
    {
        _count = 0;
        new NaiveParser().Feed(_events, 0, _events.Length, _naiveSink);
        return _count;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "Naive (string per line), 4 KiB chunks")]
    public int NaiveChunked()
    {
        _count = 0;
        var naive = new NaiveParser();
        for (int offset = 0; offset < _events.Length; offset += ChunkSize)
        {
            naive.Feed(_events, offset, Math.Min(ChunkSize, _events.Length - offset), _naiveSink);
        }
        return _count;
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "AmiParser, contiguous")]
    public int ParseContiguous()
    {
        _count = 0;
        _parser.Reset(expectBanner: false);
        ReadOnlySpan<byte> input = _events;
        while (_parser.Read(ref input, out var message, out _) == AmiReadStatus.Message)
        {
            Consume(message!);
        }
        return _count;
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "AmiParser, 4 KiB chunks")]
    public int ParseChunked()
    {
        _count = 0;
        _parser.Reset(expectBanner: false);
        for (int offset = 0; offset < _events.Length; offset += ChunkSize)
        {
            ReadOnlySpan<byte> input = _events.AsSpan(offset, Math.Min(ChunkSize, _events.Length - offset));
            while (_parser.Read(ref input, out var message, out _) == AmiReadStatus.Message)
            {
                Consume(message!);
            }
        }
        return _count;
    }

    // Messages are handed on and die young, as they do behind an actor's mailbox; the naive parser's list of
    // dictionaries is cleared the same way.
    private void Consume(AmiMessage message)
    {
        _count++;
        _kinds += (int)message.Kind;
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "AmiParser, contiguous, then Event, Channel and Uniqueid as strings")]
    public int ParseAndLookUp()
    {
        _count = 0;
        _parser.Reset(expectBanner: false);
        ReadOnlySpan<byte> input = _events;
        while (_parser.Read(ref input, out var message, out _) == AmiReadStatus.Message)
        {
            _count++;
            _kinds += (message!.EventName?.Length ?? 0) + (message["Channel"]?.Length ?? 0) + (message["Uniqueid"]?.Length ?? 0);
        }
        return _count;
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "AmiParser, contiguous, then every name and value as bytes")]
    public int ParseAndReadAll()
    {
        _count = 0;
        _parser.Reset(expectBanner: false);
        ReadOnlySpan<byte> input = _events;
        while (_parser.Read(ref input, out var message, out _) == AmiReadStatus.Message)
        {
            _count++;
            for (int i = 0; i < message!.Count; i++)
            {
                _kinds += message.NameBytes(i).Length + message.ValueBytes(i).Length;
            }
        }
        return _count;
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "AmiParser framing only (no messages), contiguous")]
    public int FrameOnly()
    {
        _parser.Reset(expectBanner: false);
        return _parser.CountFrames(_events);
    }
}

/// <summary>Reads the captured fixtures the way the test projects do.</summary>
internal static class ProtocolFixtures
{
    public static byte[] EventStreamAfterLogin()
    {
        byte[] all = File.ReadAllBytes(AmiActors.Testing.CapturedFixtures.Fixture("event-stream-2000.recv.txt"));
        // Skip the banner line and the login response: what remains is the 2,000 events.
        int bannerEnd = all.AsSpan().IndexOf("\r\n"u8) + 2;
        int loginEnd = bannerEnd + all.AsSpan(bannerEnd).IndexOf("\r\n\r\n"u8) + 4;
        return all[loginEnd..];
    }

}
