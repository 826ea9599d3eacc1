using AmiActors.Protocol;

namespace AmiActors.Protocol.Tests;

/// <summary>Every capture fed in pieces: the messages never depend on where the reads were cut.</summary>
public class ChunkingTests
{
    public static IEnumerable<object[]> SmallFiles() =>
        Fixtures.AllFiles().Where(f => (string)f[0] != "event-stream-2000.recv.txt");

    [Theory]
    [MemberData(nameof(SmallFiles))]
    public void Splitting_a_capture_at_every_byte_offset_gives_the_same_messages(string name)
    {
        byte[] bytes = Fixtures.Bytes(name);
        var options = Fixtures.OptionsFor(name);
        var whole = Feed.Whole(bytes, options).Messages;
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var split = Feed.SplitAt(bytes, options, cut);
            Assert.Empty(split.Errors);
            Assert.Null(split.Completion);
            Feed.AssertSame(whole, split.Messages, $"when cut at {cut}");
        }
    }

    [Theory]
    [MemberData(nameof(SmallFiles))]
    public void Feeding_a_capture_byte_by_byte_and_in_random_chunks_gives_the_same_messages(string name)
    {
        byte[] bytes = Fixtures.Bytes(name);
        var options = Fixtures.OptionsFor(name);
        var whole = Feed.Whole(bytes, options).Messages;
        Feed.AssertSame(whole, Feed.ByteByByte(bytes, options).Messages, "byte by byte");
        for (int seed = 0; seed < 20; seed++)
        {
            Feed.AssertSame(whole, Feed.InChunks(bytes, options, Feed.RandomSizes(seed, 1 + seed * 37)).Messages, $"seed {seed}");
        }
    }

    [Fact]
    public void The_large_event_stream_gives_the_same_messages_byte_by_byte_and_in_random_chunks()
    {
        byte[] bytes = Fixtures.Bytes("event-stream-2000.recv.txt");
        var options = Fixtures.OptionsFor("event-stream-2000.recv.txt");
        var whole = Feed.Whole(bytes, options).Messages;
        Assert.Equal(2002, whole.Count);

        var oneByOne = Feed.ByteByByte(bytes, options);
        Feed.AssertSame(whole, oneByOne.Messages, "byte by byte");
        Assert.True(oneByOne.MaxBuffered < 4096, $"buffered {oneByOne.MaxBuffered} bytes");

        foreach (int max in new[] { 2, 7, 64, 1000, 4096, 65536 })
        {
            var chunked = Feed.InChunks(bytes, options, Feed.RandomSizes(max, max));
            Assert.Empty(chunked.Errors);
            Assert.Null(chunked.Completion);
            Feed.AssertSame(whole, chunked.Messages, $"chunks up to {max}");
        }
    }

    [Fact]
    public void The_large_event_stream_split_at_every_97th_offset_frames_identically()
    {
        // Framing only (no message objects); every 97th of the 739,440 offsets keeps this to a few seconds.
        byte[] bytes = Fixtures.Bytes("event-stream-2000.recv.txt");
        var parser = new AmiParser();
        int expected = parser.CountFrames(bytes);
        Assert.Null(parser.Complete());
        Assert.Equal(2002, expected);
        for (int cut = 0; cut <= bytes.Length; cut += 97)
        {
            int frames = parser.CountFrames(bytes.AsSpan(0, cut)) + parser.CountFrames(bytes.AsSpan(cut));
            Assert.Null(parser.Complete());
            if (frames != expected)
            {
                Assert.Fail($"cut at {cut}: {frames} frames");
            }
        }
    }
}
