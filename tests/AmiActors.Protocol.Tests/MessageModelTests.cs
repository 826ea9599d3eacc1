using System.Text;
using AmiActors.Protocol;

namespace AmiActors.Protocol.Tests;

public class MessageModelTests
{
    [Fact]
    public void Repeated_keys_keep_every_value_in_order_and_the_first_is_the_value()
    {
        var m = AmiMessage.Create(("Event", "VarSet"), ("Variable", "a=1"), ("Other", "x"), ("variable", "b=2"), ("VARIABLE", "c=3"));
        Assert.Equal("a=1", m["Variable"]);
        Assert.Equal(["a=1", "b=2", "c=3"], m.GetAll("Variable"));
        Assert.Equal(1, m.IndexOf("variable"));
        Assert.Equal(3, m.IndexOf("variable", 2));
        Assert.Equal(-1, m.IndexOf("variable", 5));
        Assert.Equal(["Event", "Variable", "Other", "variable", "VARIABLE"], m.Headers.Select(h => h.Name));
    }

    [Theory]
    [InlineData(65_000)] // a 16-bit line index
    [InlineData(70_000)] // past 64 KiB: a 32-bit line index
    public void Headers_before_and_after_a_long_value_read_back_whatever_the_frame_size(int valueLength)
    {
        string big = new('x', valueLength);
        var bytes = Encoding.ASCII.GetBytes($"Response: Success\r\nActionID: 9\r\nOutput: {big}\r\nMessage: after\r\nno colon here\r\n\r\n");
        var messages = new List<AmiMessage>();
        Feed.Drain(new AmiParser(new AmiParserOptions { ExpectBanner = false }), bytes, messages, []);

        var m = Assert.Single(messages);
        Assert.Equal(bytes.Length, m.ByteSize);
        Assert.Equal("9", m.ActionId);
        Assert.Equal(big, m["Output"]);
        Assert.Equal("after", m["Message"]);
        Assert.Equal(string.Empty, m.NameAt(4));
        Assert.Equal("no colon here", m.ValueAt(4));
        Assert.Equal(-1, m.IndexOf("Missing"));
        Assert.Equal(bytes, m.ToWireBytes());
    }

    [Fact]
    public void List_accessors_accept_any_case_and_the_old_items_header()
    {
        Assert.True(AmiMessage.Create(("Response", "Success"), ("EventList", "Start")).IsListStart);
        Assert.True(AmiMessage.Create(("Event", "XComplete"), ("EventList", "complete")).IsListComplete);
        Assert.Equal(3, AmiMessage.Create(("Event", "StatusComplete"), ("Items", "3")).ListItems);
        Assert.Equal(2, AmiMessage.Create(("Event", "StatusComplete"), ("Items", "9"), ("ListItems", "2")).ListItems);
        Assert.Null(AmiMessage.Create(("Event", "XComplete"), ("ListItems", "two")).ListItems);
        Assert.Null(AmiMessage.Create(("Event", "X")).ListItems);
    }

    [Fact]
    public void Response_accessors_read_status_and_message()
    {
        var error = AmiMessage.Create(("Response", "error"), ("ActionID", "7"), ("Message", "Permission denied"));
        Assert.True(error.IsError);
        Assert.False(error.IsSuccess);
        Assert.Equal("error", error.ResponseStatus);
        Assert.Equal("Permission denied", error.ResponseMessage);
        Assert.Equal("7", error.ActionId);
        Assert.Null(error.EventName);
        Assert.Null(error.BannerVersion);
    }

    [Theory]
    [InlineData("Asterisk Call Manager/1.1", "1.1")]
    [InlineData("Asterisk Call Manager/2.10.6", "2.10.6")]
    [InlineData("Asterisk Call Manager/11.0.0", "11.0.0")]
    public void The_banner_version_is_read_from_the_banner_line(string line, string version)
    {
        var banner = AmiStreamDecoder.Decode(Encoding.ASCII.GetBytes(line + "\r\n"))[0];
        Assert.Equal(AmiMessageKind.Banner, banner.Kind);
        Assert.Equal(version, banner.BannerVersion);
        Assert.Equal(line, banner.BannerText);
    }

    [Fact]
    public void Created_messages_refuse_line_breaks()
    {
        Assert.Throws<ArgumentException>(() => AmiMessage.Create(("Event", "X\r\nEvent: Y")));
        Assert.Throws<ArgumentException>(() => AmiMessage.Create(("Na:me", "v")));
    }

    [Fact]
    public void A_frame_parses_on_its_own_with_either_line_end()
    {
        var m = AmiMessage.FromFrame("Event: Hangup\nCause-txt: Normal\r\n"u8);
        Assert.Equal(AmiMessageKind.Event, m.Kind);
        Assert.Equal("Normal", m["Cause-txt"]);
        Assert.Equal(2, m.Count);
    }

    [Fact]
    public void A_last_line_without_a_line_end_keeps_its_whole_value()
    {
        var m = AmiMessage.FromFrame("Event: Hangup\r\nCause-txt: Normal Clearing"u8);
        Assert.Equal("Normal Clearing", m["Cause-txt"]);
        Assert.Equal("Event: Hangup\r\nCause-txt: Normal Clearing\r\n\r\n", System.Text.Encoding.ASCII.GetString(m.ToWireBytes()));
    }

    // Copied frames under 32 KiB carry a compact index, larger ones a full one (16-bit entries below 64 KiB, 32-bit from
    // there): the same headers read the same whatever the frame's size.
    [Theory]
    [InlineData(100)]
    [InlineData(32_600)]
    [InlineData(32_700)]
    [InlineData(40_000)]
    [InlineData(70_000)]
    public void Every_index_format_reads_the_same_headers(int padding)
    {
        string frame = "Event: Test\r\nNoSpace:value\r\nEmpty: \r\nbare line\r\nChannel: PJSIP/100-0001\r\n"
            + "Pad: " + new string('x', padding) + "\r\nDouble:  two\r\nLast: end\r\n\r\n";
        var m = AmiMessage.FromFrame(System.Text.Encoding.ASCII.GetBytes(frame));

        Assert.Equal(AmiMessageKind.Event, m.Kind);
        Assert.Equal(8, m.Count);
        Assert.Equal(["Event", "NoSpace", "Empty", "", "Channel", "Pad", "Double", "Last"], m.Headers.Select(h => h.Name));
        Assert.Equal(["Test", "value", "", "bare line", "PJSIP/100-0001", new string('x', padding), " two", "end"], m.Headers.Select(h => h.Value));
        Assert.Equal(4, m.IndexOf("channel"));
        Assert.Equal(-1, m.IndexOf("line"));
        Assert.Equal("end", m["LAST"]);
        Assert.Equal(frame.Replace("NoSpace:value", "NoSpace: value"), System.Text.Encoding.ASCII.GetString(m.ToWireBytes()));
    }

    [Fact]
    public void Value_lookups_without_strings_compare_ascii_case_insensitively()
    {
        var m = AmiMessage.Create(("Event", "Newstate"), ("ChannelStateDesc", "Up"));
        Assert.True(m.HasValue("channelstatedesc", "UP"));
        Assert.False(m.HasValue("ChannelStateDesc", "Down"));
        Assert.False(m.HasValue("Missing", "Up"));
        Assert.True(m.Contains("CHANNELSTATEDESC"));
        Assert.Equal("Newstate"u8.ToArray(), m.ValueBytes(0).ToArray());
        Assert.Equal("Event"u8.ToArray(), m.NameBytes(0).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => m.ValueAt(2));
        // Past the last line lie the index's own entries: never read as a header.
        Assert.Throws<ArgumentOutOfRangeException>(() => m.ValueBytes(2).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.NameBytes(2).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.NameBytes(-1).Length);
    }
}
