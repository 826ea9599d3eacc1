using System.Text;
using AmiActors.Protocol;
using Xunit;

namespace AmiActors.Protocol.Tests;

/// <summary>
/// <see cref="AmiParser.ReadShared"/>: messages that reference the caller's chunk must read exactly like the
/// copied messages of the span overload, for every public accessor, however the stream is cut.
/// </summary>
public class SharedReadTests
{
    private const string Legacy =
        "Asterisk Call Manager/1.1\r\n" +
        "Response: Follows\r\nPrivilege: Command\r\nActionID: cmd-1\r\nline one\nline two\r\n--END COMMAND--\r\n\r\n" +
        "Response: Follows\r\nPrivilege: Command\r\n--END COMMAND--\r\n\r\n" +
        "Event: After\r\nX: 1\r\n\r\n";

    // Odd but legal shapes: bare LF, a CR kept in a value, no colon, colon without space, empty values and names.
    private const string Edges =
        "Asterisk Call Manager/22.0.0\r\n" +
        "Event: A\nB:no-space\nC:\nnocolon line\n: empty name\nD: two  spaces  \n\n" +
        "Response: Success\r\nValue: ends with CR\r\r\nMessage: x: y: z\r\n\r\n" +
        "\r\n\r\nEvent: AfterBlank\r\nListItems: 12\r\nEventList: Complete\r\n\r\n" +
        "Action: Ping\r\nActionID: 7\r\n\r\n";

    public static IEnumerable<object[]> Streams()
    {
        foreach (var file in Fixtures.AllFiles())
        {
            string name = (string)file[0];
            if (name.EndsWith(".recv.txt", StringComparison.Ordinal))
            {
                yield return [name];
            }
        }
        yield return ["<legacy>"];
        yield return ["<edges>"];
    }

    private static byte[] Load(string name) => name switch
    {
        "<legacy>" => Encoding.ASCII.GetBytes(Legacy),
        "<edges>" => Encoding.ASCII.GetBytes(Edges),
        _ => Fixtures.Bytes(name),
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public void Shared_and_copied_reads_give_identical_messages_in_one_chunk_and_in_random_chunks(string name)
    {
        var bytes = Load(name);
        var expected = Feed.Whole(bytes, AmiParserOptions.Default).Messages;
        Assert.NotEmpty(expected);

        var whole = ParseShared(bytes, [bytes.Length]);
        AssertIdentical(expected, whole);
        // In one chunk every frame but the banner lies inside the chunk: all of them are shared.
        Assert.All(whole.Where(m => m.Kind != AmiMessageKind.Banner), m => Assert.True(m.SharesReadBuffer, m.ToString()));

        for (int seed = 0; seed < 3; seed++)
        {
            AssertIdentical(expected, ParseShared(bytes, Feed.RandomSizes(seed, 700).Take(bytes.Length).ToArray()));
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void Shared_and_copied_reads_give_identical_messages_when_cut_at_every_offset(string name)
    {
        var bytes = Load(name);
        if (bytes.Length > 8 * 1024)
        {
            // Enough frames (the cut loop is quadratic), ending at a frame's end.
            int end = bytes.AsSpan(0, 8 * 1024).LastIndexOf("\r\n\r\n"u8) + 4;
            bytes = bytes[..end];
        }
        var expected = Feed.Whole(bytes, AmiParserOptions.Default).Messages;
        int sharedSeen = 0;
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            var actual = ParseShared(bytes, [cut, bytes.Length - cut]);
            AssertIdentical(expected, actual, $"cut at {cut}");
            sharedSeen += actual.Count(m => m.SharesReadBuffer);
        }
        Assert.True(sharedSeen > 0 || expected.All(m => m.Kind == AmiMessageKind.Banner));
    }

    [Fact]
    public void A_shared_message_references_the_chunk_and_a_detached_one_owns_its_bytes()
    {
        var chunk = Encoding.ASCII.GetBytes("Event: Newchannel\r\nChannel: PJSIP/100-0001\r\nUniqueid: 1.1\r\n\r\n");
        var parser = new AmiParser(new AmiParserOptions { ExpectBanner = false });
        var segment = new ArraySegment<byte>(chunk);
        Assert.Equal(AmiReadStatus.Message, parser.ReadShared(ref segment, out var message, out _));
        Assert.True(message!.SharesReadBuffer);
        Assert.Equal("PJSIP/100-0001", Encoding.ASCII.GetString(message.ValueBytes(1)));
        Assert.Equal(chunk.Length, message.ByteSize);

        var detached = message.Detach();
        Assert.NotSame(message, detached);
        Assert.False(detached.SharesReadBuffer);
        Assert.Same(detached, detached.Detach());
        AssertIdentical([message], [detached]);

        // Test-only: break the contract by overwriting the chunk. The shared message sees it, the copy does not.
        chunk.AsSpan().Replace((byte)'1', (byte)'9');
        Assert.Equal("PJSIP/900-0009", Encoding.ASCII.GetString(message.ValueBytes(1)));
        Assert.Equal("PJSIP/100-0001", Encoding.ASCII.GetString(detached.ValueBytes(1)));
        Assert.Equal("PJSIP/100-0001", detached["Channel"]);
    }

    [Fact]
    public void Detach_keeps_the_values_already_read_and_a_copied_message_detaches_to_itself()
    {
        var chunk = Encoding.ASCII.GetBytes("Response: Success\r\nActionID: a-1\r\nMessage: Pong\r\n\r\n");
        var parser = new AmiParser(new AmiParserOptions { ExpectBanner = false });
        var segment = new ArraySegment<byte>(chunk);
        parser.ReadShared(ref segment, out var message, out _);
        string id = message!.ActionId!;
        var detached = message.Detach();
        Assert.Same(id, detached.ActionId);
        Assert.True(detached.IsSuccess);

        var owned = AmiMessage.Create(("Event", "X"));
        Assert.False(owned.SharesReadBuffer);
        Assert.Same(owned, owned.Detach());
    }

    [Fact]
    public void A_frame_that_spans_two_chunks_is_copied_and_the_frames_inside_one_chunk_are_shared()
    {
        var bytes = Encoding.ASCII.GetBytes("Event: A\r\nK: 1\r\n\r\nEvent: B\r\nK: 2\r\n\r\nEvent: C\r\nK: 3\r\n\r\n");
        int cut = "Event: A\r\nK: 1\r\n\r\nEvent: B\r\nK".Length;
        var messages = ParseShared(bytes, [cut, bytes.Length - cut], expectBanner: false);
        Assert.Equal(["A", "B", "C"], messages.Select(m => m.EventName));
        Assert.Equal([true, false, true], messages.Select(m => m.SharesReadBuffer));
    }

    [Fact]
    public void The_banner_and_frames_of_32_KiB_or_more_are_copied_and_read_the_same()
    {
        string Big(int n) => "Response: Success\r\nOutput: " + new string('x', n) + "\r\n\r\n";
        var bytes = Encoding.ASCII.GetBytes("Asterisk Call Manager/22.5.0\r\n" + Big(70_000) + Big(40_000) + Big(32_000) + "Event: Small\r\n\r\n");
        var expected = Feed.Whole(bytes, AmiParserOptions.Default).Messages;
        var messages = ParseShared(bytes, [bytes.Length]);
        AssertIdentical(expected, messages);
        Assert.Equal("22.5.0", messages[0].BannerVersion);
        Assert.Equal([false, false, false, true, true], messages.Select(m => m.SharesReadBuffer));
    }

    [Fact]
    public void Header_lookup_on_a_shared_message_matches_whole_names_only()
    {
        var bytes = Encoding.ASCII.GetBytes("Response: Success\r\nActionID: 1\r\nID: 2\r\nno colon\r\n:bare\r\nactionid: 3\r\n\r\n");
        var copied = Feed.Whole(bytes, new AmiParserOptions { ExpectBanner = false }).Messages.Single();
        var shared = ParseShared(bytes, [bytes.Length], expectBanner: false).Single();
        Assert.True(shared.SharesReadBuffer);
        foreach (var name in new[] { "ID", "ActionID", "Action", "onID", "D", "", "no colon", "Success\r\nActionID", "1\r\nID", "Response" })
        {
            Assert.Equal(copied.IndexOf(name), shared.IndexOf(name));
            Assert.Equal(copied.IndexOf(name, 2), shared.IndexOf(name, 2));
            Assert.Equal(copied.Get(name), shared.Get(name));
        }
        Assert.Equal("2", shared.Get("ID"));
        Assert.Equal(["1", "3"], shared.GetAll("ActionID"));
        Assert.Equal(4, shared.IndexOf(""));
        Assert.Equal("bare", shared.ValueAt(4));
    }

    [Fact]
    public void A_legacy_command_frame_is_shared_with_its_body_and_output_intact()
    {
        var bytes = Encoding.ASCII.GetBytes(Legacy);
        var messages = ParseShared(bytes, [bytes.Length]);
        var command = messages[1];
        Assert.True(command.SharesReadBuffer);
        Assert.True(command.HasLegacyBody);
        Assert.Equal("line one\nline two\r\n", command.LegacyBody);
        Assert.Equal(["line one", "line two"], command.CommandOutput);
        Assert.Equal("cmd-1", command.ActionId);
        Assert.Equal("line one\nline two\r\n", command.Detach().LegacyBody);
        Assert.Empty(messages[2].CommandOutput);
        Assert.Equal("After", messages[3].EventName);
    }

    [Fact]
    public void The_span_overload_after_shared_reads_copies_again()
    {
        var parser = new AmiParser(new AmiParserOptions { ExpectBanner = false });
        var first = Encoding.ASCII.GetBytes("Event: A\r\n\r\nEvent: B\r\n");
        var segment = new ArraySegment<byte>(first);
        Assert.Equal(AmiReadStatus.Message, parser.ReadShared(ref segment, out var a, out _));
        Assert.Equal(AmiReadStatus.NeedMoreData, parser.ReadShared(ref segment, out _, out _));
        ReadOnlySpan<byte> rest = "\r\nEvent: C\r\n\r\n"u8;
        Assert.Equal(AmiReadStatus.Message, parser.Read(ref rest, out var b, out _));
        Assert.Equal(AmiReadStatus.Message, parser.Read(ref rest, out var c, out _));
        Assert.True(a!.SharesReadBuffer);
        Assert.False(b!.SharesReadBuffer);
        Assert.False(c!.SharesReadBuffer);
        Assert.Equal(["A", "B", "C"], new[] { a, b, c }.Select(m => m.EventName));
    }

    [Fact]
    public void A_shared_message_allocates_its_object_and_a_two_byte_index_entry_per_line_and_no_copy_of_its_bytes()
    {
        var bytes = Fixtures.Bytes("event-stream-2000.recv.txt");
        var chunks = bytes.Chunk(65536).ToList();
        var messages = new List<AmiMessage>(4000);
        // No banner expected: the stream is fed twice to one parser (the first time grows its buffer), the banner line
        // becoming a line of the first frame.
        var parser = new AmiParser(new AmiParserOptions { ExpectBanner = false });
        ParseChunks(parser, chunks, messages);
        messages.Clear();
        long before = GC.GetAllocatedBytesForCurrentThread();
        ParseChunks(parser, chunks, messages);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        var shared = messages.Where(m => m.SharesReadBuffer).ToList();
        Assert.True(shared.Count > messages.Count * 9 / 10);
        // Object 56 B; index: 6 B header + 2 B per line + 4 B legacy body, carved from 4 KiB slabs (plus their array header).
        long indexBytes = shared.Sum(m => 6 + 2 * (m.Count + 2));
        long sharedBound = shared.Count * 56L + indexBytes + (indexBytes / 4096 + 2) * (4096 + 24);
        long copiedBytes = messages.Where(m => !m.SharesReadBuffer).Sum(m => 56 + 24 + m.ByteSize + 8 + 4L * 2 * (m.Count + 1) + 8);
        Assert.True(allocated <= sharedBound + copiedBytes, $"allocated {allocated} B for {messages.Count} messages (bound {sharedBound + copiedBytes})");
        // The whole read is 369 B per event on average: a shared message costs far less than its bytes.
        Assert.True(allocated - copiedBytes < shared.Count * 100L, $"{(allocated - copiedBytes) / (double)shared.Count:0.0} B per shared message");
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void Bounded_shared_reads_give_identical_messages_in_random_chunks_and_share_a_frame_alone_in_its_read(string name)
    {
        var bytes = Load(name);
        var expected = Feed.Whole(bytes, AmiParserOptions.Default).Messages;
        for (int seed = 0; seed < 3; seed++)
        {
            AssertIdentical(expected, ParseShared(bytes, Feed.RandomSizes(seed, 700).Take(bytes.Length).ToArray(), bounded: true), $"seed {seed}");
        }
        // One frame alone in an array of its own size, as Akka.IO hands over a read that carries one event: shared, and identical.
        foreach (var m in expected.Where(m => m.Kind != AmiMessageKind.Banner))
        {
            var wire = m.ToWireBytes();
            var copied = Feed.Whole(wire, new AmiParserOptions { ExpectBanner = false }).Messages;
            var parser = new AmiParser(new AmiParserOptions { ExpectBanner = false });
            var segment = new ArraySegment<byte>(wire);
            Assert.Equal(AmiReadStatus.Message, parser.ReadShared(ref segment, bounded: true, out var alone, out _));
            Assert.True(alone!.SharesReadBuffer || m.ByteSize >= 32 * 1024, m.ToString());
            AssertIdentical(copied, [alone]);
        }
    }

    [Fact]
    public void Bounded_sharing_references_a_chunk_only_for_a_frame_of_at_least_half_its_array()
    {
        static List<AmiMessage> Parse(byte[] array)
        {
            var list = new List<AmiMessage>();
            ParseChunks(new AmiParser(new AmiParserOptions { ExpectBanner = false }), [array], list, bounded: true);
            return list;
        }
        const string Small = "Event: S\r\nK: 1\r\n\r\n";
        string big = "Event: Big\r\nValue: " + new string('v', 60) + "\r\n\r\n";
        // One frame alone in its read: shared, as an unbounded read would.
        Assert.Equal([true], Parse(Encoding.ASCII.GetBytes(big)).Select(m => m.SharesReadBuffer));
        // A frame of more than half the read is shared, the rest copied.
        Assert.Equal([true, false], Parse(Encoding.ASCII.GetBytes(big + Small)).Select(m => m.SharesReadBuffer));
        Assert.Equal([false, true], Parse(Encoding.ASCII.GetBytes(Small + big)).Select(m => m.SharesReadBuffer));
        // Three frames of a third each (a flood's read): all copied.
        var three = Parse(Encoding.ASCII.GetBytes(Small + Small + Small));
        Assert.Equal(3, three.Count);
        Assert.All(three, m => Assert.False(m.SharesReadBuffer));
        // The array counts, not the segment: a frame alone in a segment of an array over twice its size is copied.
        var frame = Encoding.ASCII.GetBytes(big);
        var padded = new byte[frame.Length * 2 + 2];
        frame.CopyTo(padded, 1);
        var parser = new AmiParser(new AmiParserOptions { ExpectBanner = false });
        var segment = new ArraySegment<byte>(padded, 1, frame.Length);
        Assert.Equal(AmiReadStatus.Message, parser.ReadShared(ref segment, bounded: true, out var alone, out _));
        Assert.False(alone!.SharesReadBuffer);
        Assert.Equal("Big", alone.EventName);
    }

    [Fact]
    public void A_bounded_shared_message_allocates_its_object_and_an_index_of_its_own_only()
    {
        var bytes = Fixtures.Bytes("event-stream-2000.recv.txt");
        var frames = Feed.Whole(bytes, AmiParserOptions.Default).Messages.Where(m => m.Kind != AmiMessageKind.Banner).ToList();
        // Each frame in an array of its own, exactly its size, as Akka.IO hands over a read that carries one event.
        var chunks = frames.Select(m => m.ToWireBytes()).ToList();
        var parser = new AmiParser(new AmiParserOptions { ExpectBanner = false });
        var messages = new List<AmiMessage>(chunks.Count);
        ParseChunks(parser, chunks, messages, bounded: true);
        messages.Clear();
        long before = GC.GetAllocatedBytesForCurrentThread();
        ParseChunks(parser, chunks, messages, bounded: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(frames.Count, messages.Count);
        Assert.All(messages, m => Assert.True(m.SharesReadBuffer));
        // Object 56 B; index array: 24 B header + 6 B + 2 B per line + 4 B legacy body, rounded up to 8 (and 1 KiB of slack
        // for the parser's own one-off growth).
        long bound = messages.Sum(m => 56 + ((24 + 6 + 2 * (m.Count + 2) + 7) & ~7L)) + 1024;
        Assert.True(allocated <= bound, $"allocated {allocated} B for {messages.Count} messages (bound {bound})");
        // A copy would cost the frame's bytes (369 B on average here) and more.
        Assert.True(allocated < messages.Sum(m => (long)m.ByteSize) / 2, $"{allocated / (double)messages.Count:0.0} B per message");
    }

    private static void ParseChunks(AmiParser parser, IEnumerable<byte[]> chunks, List<AmiMessage> messages, bool bounded = false)
    {
        foreach (var chunk in chunks)
        {
            var segment = new ArraySegment<byte>(chunk);
            while (parser.ReadShared(ref segment, bounded, out var message, out _) == AmiReadStatus.Message)
            {
                messages.Add(message!);
            }
        }
    }

    private static List<AmiMessage> ParseShared(byte[] bytes, int[] sizes, bool expectBanner = true, bool bounded = false)
    {
        var parser = new AmiParser(new AmiParserOptions { ExpectBanner = expectBanner });
        var messages = new List<AmiMessage>();
        int offset = 0;
        int k = 0;
        while (offset < bytes.Length)
        {
            int size = Math.Min(k < sizes.Length ? Math.Max(1, sizes[k++]) : bytes.Length, bytes.Length - offset);
            // Each chunk in an array of its own, at a non-zero offset, as a network read would be.
            var array = new byte[size + 7];
            bytes.AsSpan(offset, size).CopyTo(array.AsSpan(3));
            var segment = new ArraySegment<byte>(array, 3, size);
            while (true)
            {
                var status = parser.ReadShared(ref segment, bounded, out var message, out var error);
                if (status == AmiReadStatus.NeedMoreData)
                {
                    break;
                }
                Assert.True(status == AmiReadStatus.Message, error.ToString());
                messages.Add(message!);
            }
            offset += size;
        }
        Assert.Null(parser.Complete());
        return messages;
    }

    private static void AssertIdentical(List<AmiMessage> expected, List<AmiMessage> actual, string context = "")
    {
        Feed.AssertSame(expected, actual, context);
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            Assert.Equal(e.ByteSize, a.ByteSize);
            Assert.Equal(e.ToString(), a.ToString());
            Assert.Equal(e.ToWireBytes(), a.ToWireBytes());
            Assert.Equal(e.Headers, a.Headers);
            Assert.Equal(e.CommandOutput, a.CommandOutput);
            Assert.Equal(e.BannerText, a.BannerText);
            Assert.Equal(e.ListItems, a.ListItems);
            Assert.Equal(e.IsSuccess, a.IsSuccess);
            Assert.Equal(e.IsListComplete, a.IsListComplete);
            for (int h = 0; h < e.Count; h++)
            {
                string headerName = e.NameAt(h);
                Assert.Equal(e.IndexOf(headerName), a.IndexOf(headerName));
                Assert.Equal(e.GetAll(headerName), a.GetAll(headerName));
                Assert.Equal(e.NameAt(h), a.NameAt(h));
                Assert.Equal(e.ValueAt(h), a.ValueAt(h));
            }
        }
    }
}
