using AmiActors.Protocol;

namespace AmiActors.Protocol.Tests;

/// <summary>
/// Allocation budget of the parser, measured with the per-thread allocation counter (bytes, not time: robust on a
/// loaded machine). Speed itself is proved by tests/AmiActors.Benchmarks, not here.
/// </summary>
public class AllocationTests
{
    // AmiMessage on 64-bit: object header (16) + 3 references (24) + 4 ints (16).
    private const int MessageObjectBytes = 56;

    private static readonly byte[] EventStream = Fixtures.Bytes("event-stream-2000.recv.txt");

    [Fact]
    public void Framing_alone_allocates_nothing_once_the_parser_is_warm()
    {
        var parser = new AmiParser();
        Assert.Equal(2002, parser.CountFrames(EventStream));
        parser.Reset();

        long before = GC.GetAllocatedBytesForCurrentThread();
        int whole = parser.CountFrames(EventStream);
        parser.Reset();
        int chunked = 0;
        for (int offset = 0; offset < EventStream.Length; offset += 4096)
        {
            chunked += parser.CountFrames(EventStream.AsSpan(offset, Math.Min(4096, EventStream.Length - offset)));
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2002, whole);
        Assert.Equal(2002, chunked);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Parsing_allocates_exactly_the_message_and_its_one_array_per_message()
    {
        var parser = new AmiParser();
        var warmup = new List<AmiMessage>();
        Feed.Drain(parser, EventStream, warmup, []);
        parser.Reset();
        long expected = warmup.Sum(m => MessageObjectBytes + ArrayBytes(m));

        var messages = new AmiMessage[2002];
        int count = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int offset = 0; offset < EventStream.Length; offset += 4096)
        {
            ReadOnlySpan<byte> input = EventStream.AsSpan(offset, Math.Min(4096, EventStream.Length - offset));
            while (parser.Read(ref input, out var message, out _) == AmiReadStatus.Message)
            {
                messages[count++] = message!;
            }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2002, count);
        Assert.Equal(expected, allocated);
    }

    [Fact]
    public void Reading_values_creates_each_string_once()
    {
        var m = AmiStreamDecoder.Decode(EventStream)[5];
        string first = m.ValueAt(0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Assert.Same(first, m.ValueAt(0));
            Assert.Same(first, m.EventName);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // The frame bytes, padded to 4, then 4 entries per line and 2 for the legacy body (16-bit entries below 64 KiB, 32-bit
    // from there); array header 24; rounded to 8.
    // Under 32 KiB: the frame, then the compact index (6-byte header, a 2-byte entry per line, 2 for the legacy body).
    // Above: the frame padded to 4, then 4 entries per line and 2, 16-bit below 64 KiB and 32-bit from there.
    private static long ArrayBytes(AmiMessage m)
    {
        long payload = m.ByteSize < 32 * 1024
            ? m.ByteSize + 6 + (m.Count + 2) * sizeof(ushort)
            : ((m.ByteSize + 3) & ~3) + (m.Count * 4 + 2) * (m.ByteSize >= ushort.MaxValue ? sizeof(int) : sizeof(ushort));
        return 24 + ((payload + 7) & ~7);
    }
}
