using System.Text;
using AmiActors.Protocol;

namespace AmiActors.Protocol.Tests;

public class BadInputTests
{
    private static readonly AmiParserOptions NoBanner = new() { ExpectBanner = false };

    private static ParseResult Parse(string text, AmiParserOptions? options = null) =>
        Feed.Whole(Encoding.UTF8.GetBytes(text), options ?? NoBanner);

    [Fact]
    public void Random_garbage_never_throws_and_every_error_is_a_frame_size_error()
    {
        var random = new Random(12345);
        for (int round = 0; round < 200; round++)
        {
            var bytes = new byte[random.Next(0, 5000)];
            random.NextBytes(bytes);
            var options = new AmiParserOptions { ExpectBanner = round % 2 == 0, MaxFrameSize = 64 + round * 10 };
            var result = Feed.InChunks(bytes, options, Feed.RandomSizes(round, 300));
            Assert.All(result.Errors, e => Assert.Equal(AmiProtocolErrorCode.FrameTooLarge, e.Code));
            Assert.True(result.MaxBuffered <= options.MaxFrameSize + 8192);
            foreach (var m in result.Messages)
            {
                _ = Feed.Describe(m);
                _ = m.CommandOutput;
                _ = m.ListItems;
                _ = m.ToString();
            }
        }
    }

    [Fact]
    public void Nul_bytes_are_kept_in_values()
    {
        var m = Assert.Single(Parse("Event: X\r\nData: a\0b\r\n\0: zero\r\n\r\n").Messages);
        Assert.Equal("a\0b", m["Data"]);
        Assert.Equal("zero", m["\0"]);
    }

    [Fact]
    public void Invalid_utf8_becomes_replacement_characters_and_the_raw_bytes_stay_available()
    {
        byte[] bytes = [.. "Event: X\r\nName: a"u8, 0xFF, 0xC3, (byte)'b', .. "\r\nNext: ok\r\n\r\n"u8];
        var m = Assert.Single(Feed.Whole(bytes, NoBanner).Messages);
        Assert.Equal("a\uFFFD\uFFFDb", m["Name"]);
        Assert.Equal(new byte[] { (byte)'a', 0xFF, 0xC3, (byte)'b' }, m.ValueBytes(m.IndexOf("Name")).ToArray());
        Assert.Equal("ok", m["Next"]);
    }

    [Fact]
    public void A_10_MB_line_fed_in_64_KB_chunks_is_reported_once_with_bounded_memory_and_the_next_frame_survives()
    {
        var head = "Event: Big\r\nData: "u8.ToArray();
        var tail = "\r\nMore: lines\r\n\r\nEvent: After\r\nActionID: a\r\n\r\n"u8.ToArray();
        var line = new byte[10 * 1024 * 1024];
        line.AsSpan().Fill((byte)'x');
        byte[] all = [.. head, .. line, .. tail];

        var options = new AmiParserOptions { ExpectBanner = false };
        var parser = new AmiParser(options);
        var messages = new List<AmiMessage>();
        var errors = new List<AmiProtocolError>();
        int maxBuffered = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int offset = 0; offset < all.Length; offset += 64 * 1024)
        {
            Feed.Drain(parser, all.AsSpan(offset, Math.Min(64 * 1024, all.Length - offset)), messages, errors);
            maxBuffered = Math.Max(maxBuffered, parser.BufferedBytes);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(maxBuffered <= options.MaxFrameSize + 8192, $"buffered {maxBuffered} bytes");
        Assert.True(allocated < 4L * options.MaxFrameSize, $"allocated {allocated} bytes");
        var error = Assert.Single(errors);
        Assert.Equal(AmiProtocolErrorCode.FrameTooLarge, error.Code);
        Assert.Equal(0, error.StreamOffset);
        Assert.Contains(options.MaxFrameSize.ToString(), error.Detail);
        Assert.Equal("After", Assert.Single(messages).EventName);
        Assert.Null(parser.Complete());
    }

    [Fact]
    public void A_10_MB_stream_without_any_line_end_in_place_of_the_banner_is_reported_and_bounded()
    {
        var parser = new AmiParser(new AmiParserOptions { MaxFrameSize = 1024 * 1024 });
        var chunk = new byte[64 * 1024];
        chunk.AsSpan().Fill((byte)'A');
        var messages = new List<AmiMessage>();
        var errors = new List<AmiProtocolError>();
        for (int i = 0; i < 160; i++)
        {
            Feed.Drain(parser, chunk, messages, errors);
            Assert.True(parser.BufferedBytes <= 1024 * 1024 + 8192);
        }
        Assert.Empty(messages);
        Assert.Equal(AmiProtocolErrorCode.FrameTooLarge, Assert.Single(errors).Code);
        Assert.False(parser.AwaitingBanner);
        Assert.Null(parser.Complete());
    }

    [Fact]
    public void A_frame_of_exactly_the_maximum_size_is_accepted_and_one_byte_more_is_refused()
    {
        const int max = 100;
        string Frame(int size) => "Event: X\r\nData: " + new string('y', size - "Event: X\r\nData: ".Length - 4) + "\r\n\r\n";
        Assert.Equal(100, Frame(100).Length);
        var options = new AmiParserOptions { ExpectBanner = false, MaxFrameSize = max };
        foreach (var chunking in new Func<byte[], ParseResult>[] { b => Feed.Whole(b, options), b => Feed.ByteByByte(b, options) })
        {
            var fits = chunking(Encoding.ASCII.GetBytes(Frame(100) + "Event: Next\r\n\r\n"));
            Assert.Empty(fits.Errors);
            Assert.Equal(["X", "Next"], fits.Messages.Select(m => m.EventName));
            Assert.Equal(100, fits.Messages[0].ByteSize);

            var over = chunking(Encoding.ASCII.GetBytes(Frame(101) + "Event: Next\r\n\r\n"));
            Assert.Equal(AmiProtocolErrorCode.FrameTooLarge, Assert.Single(over.Errors).Code);
            Assert.Equal("Next", Assert.Single(over.Messages).EventName);
        }
    }

    [Fact]
    public void A_stream_cut_mid_frame_delivers_the_complete_frames_and_reports_the_cut()
    {
        var parser = new AmiParser();
        var messages = new List<AmiMessage>();
        var errors = new List<AmiProtocolError>();
        Feed.Drain(parser, "Asterisk Call Manager/11.0.0\r\nEvent: A\r\n\r\nEvent: B\r\nChannel: SIP/1"u8, messages, errors);
        Assert.Equal(2, messages.Count);
        var cut = parser.Complete();
        Assert.Equal(AmiProtocolErrorCode.TruncatedFrame, cut?.Code);
        Assert.Equal(42, cut?.StreamOffset);
        Assert.Empty(errors);

        // The parser is ready for a new connection: banner first again.
        Assert.True(parser.AwaitingBanner);
        Feed.Drain(parser, "Asterisk Call Manager/11.0.0\r\nEvent: C\r\n\r\n"u8, messages, errors);
        Assert.Equal(["B 11.0.0", "B 11.0.0"], messages.Where(m => m.Kind == AmiMessageKind.Banner).Select(m => "B " + m.BannerVersion));
        Assert.Equal("C", messages[^1].EventName);
        Assert.Null(parser.Complete());
    }

    [Fact]
    public void Only_line_feeds_yield_nothing_and_buffer_nothing()
    {
        var bytes = new byte[1024 * 1024];
        bytes.AsSpan().Fill((byte)'\n');
        var result = Feed.InChunks(bytes, AmiParserOptions.Default, Feed.RandomSizes(1, 70000));
        Assert.Empty(result.Messages);
        Assert.Empty(result.Errors);
        Assert.Null(result.Completion);
        Assert.True(result.MaxBuffered <= 1);
        Assert.Empty(Parse("\r\n\r\n\n\r\n").Messages);
    }

    [Fact]
    public void Lines_without_a_colon_are_kept_as_bare_lines()
    {
        var m = Assert.Single(Parse("Event: X\r\njust some text\r\nKey: v\r\n\r\n").Messages);
        Assert.Equal(3, m.Count);
        Assert.Equal("", m.NameAt(1));
        Assert.Equal("just some text", m.ValueAt(1));
        Assert.True(m.Headers[1].IsBareLine);
        Assert.Equal("v", m["Key"]);
        var unknown = Assert.Single(Parse("no colon here\r\n\r\n").Messages);
        Assert.Equal(AmiMessageKind.Unknown, unknown.Kind);
    }

    [Fact]
    public void Header_names_may_hold_dashes_parentheses_and_slashes()
    {
        var m = Assert.Single(Parse("Event: Hangup\r\nCause-txt: Normal Clearing\r\nChanVariable(PJSIP/100-00000001): x=1\r\n\r\n").Messages);
        Assert.Equal("Normal Clearing", m["cause-TXT"]);
        Assert.Equal("x=1", m["ChanVariable(PJSIP/100-00000001)"]);
    }

    [Fact]
    public void Values_keep_everything_after_the_one_space_that_follows_the_colon()
    {
        var m = Assert.Single(Parse("Event: X\r\nEmpty:\r\nNoSpace:v\r\nTwo:  v \r\nColons: a: b:c\r\nCr: a\rb\r\n\r\n").Messages);
        Assert.Equal("", m["Empty"]);
        Assert.Equal("v", m["NoSpace"]);
        Assert.Equal(" v ", m["Two"]);
        Assert.Equal("a: b:c", m["Colons"]);
        Assert.Equal("a\rb", m["Cr"]);
    }

    [Fact]
    public void Bare_lf_and_mixed_line_ends_frame_like_crlf()
    {
        var messages = Parse("Event: A\nK: 1\n\nEvent: B\r\nK: 2\r\n\nEvent: C\nK: 3\r\n\r\n\r\n\n").Messages;
        Assert.Equal(["A1", "B2", "C3"], messages.Select(m => m.EventName + m["K"]));
    }

    [Fact]
    public void Event_is_decided_before_response_whatever_their_order()
    {
        Assert.Equal(AmiMessageKind.Event, Assert.Single(Parse("Response: Success\r\nEvent: OriginateResponse\r\n\r\n").Messages).Kind);
        Assert.Equal(AmiMessageKind.Event, Assert.Single(Parse("event: x\r\nresponse: Success\r\n\r\n").Messages).Kind);
        Assert.Equal(AmiMessageKind.Response, Assert.Single(Parse("ActionID: 1\r\nRESPONSE: Success\r\n\r\n").Messages).Kind);
    }

    [Fact]
    public void Blank_lines_before_the_banner_are_tolerated()
    {
        var messages = Parse("\r\n\r\nAsterisk Call Manager/11.0.0\r\nResponse: Success\r\n\r\n", AmiParserOptions.Default).Messages;
        Assert.Equal("11.0.0", messages[0].BannerVersion);
        Assert.Equal(AmiMessageKind.Response, messages[1].Kind);
    }

    [Fact]
    public void Invalid_parser_options_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmiParser(new AmiParserOptions { MaxFrameSize = 10 }));
    }

    [Fact]
    public void The_decoder_reads_streams_and_reports_a_truncated_end()
    {
        byte[] bytes = Fixtures.Bytes("originate-async.recv.txt");
        var expected = Feed.Describe(AmiStreamDecoder.Decode(bytes));
        Assert.Equal(expected, Feed.Describe(AmiStreamDecoder.Decode(new MemoryStream(bytes))));
        Assert.Equal(expected, Feed.Describe(AmiStreamDecoder.DecodeAsync(new MemoryStream(bytes)).ToBlockingEnumerable()));

        byte[] cut = bytes[..^10];
        var ex = Assert.Throws<AmiProtocolException>(() => AmiStreamDecoder.Decode(cut));
        Assert.Equal(AmiProtocolErrorCode.TruncatedFrame, ex.Error.Code);
        var reported = new List<AmiProtocolError>();
        Assert.Equal(expected.Count - 1, AmiStreamDecoder.Decode(cut, onError: reported.Add).Count);
        Assert.Single(reported);

        // Without a banner, frames are read from the first byte.
        Assert.Equal(AmiMessageKind.Action, AmiStreamDecoder.Decode(Fixtures.Bytes("ping.sent.txt"))[0].Kind);
    }

    [Fact]
    public void Message_to_string_never_prints_values()
    {
        var m = Assert.Single(Parse("Action: Login\r\nUsername: admin\r\nSecret: hunter2\r\n\r\n").Messages);
        Assert.DoesNotContain("hunter2", m.ToString());
        Assert.DoesNotContain("admin", m.ToString());
        Assert.DoesNotContain("hunter2", string.Join(",", m.Headers));
    }
}
