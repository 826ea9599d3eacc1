using System.Text;
using AmiActors.Protocol;

namespace AmiActors.Protocol.Tests;

/// <summary>
/// The Asterisk 13 and earlier Command framing (AMI-PROTOCOL.md, "Command output"): <c>Response: Follows</c>,
/// <c>Privilege: Command</c>, ActionID, then raw CLI text with LF-only newlines up to <c>--END COMMAND--</c>.
/// No capture exists, so the input is built from that description (and from manager.c of Asterisk 13, which writes
/// the output with no separator before the marker).
/// </summary>
public class LegacyCommandTests
{
    private const string Body =
        "Name/username             Host                                    Dyn Forcerport Comedia    ACL Port     Status      Description\n" +
        "100/100                   127.0.0.1:5060                                 N            Auto (No)              0        OK (1 ms)\n" +
        "\n" +
        "Key: looks like a header: but is output\n" +
        "ActionID: also output, not a header\n" +
        "\n" +
        "\n" +
        "1 sip peers [Monitored: 1 online, 0 offline Unmonitored: 0 online, 0 offline]\n";

    private static readonly string Stream =
        "Asterisk Call Manager/2.10.6\r\n" +
        "Response: Success\r\nActionID: l1\r\nMessage: Authentication accepted\r\n\r\n" +
        "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n" +
        "Response: Follows\r\nPrivilege: Command\r\nActionID: cmd-1\r\n" + Body + "--END COMMAND--\r\n\r\n" +
        "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: SIP/100-00000001\r\n\r\n" +
        "Response: Follows\r\nPrivilege: Command\r\n--END COMMAND--\r\n\r\n" +
        "Response: Follows\r\nPrivilege: Command\r\nActionID: cmd-3\r\nno newline before the marker--END COMMAND--\r\n\r\n" +
        "Response: Error\r\nActionID: cmd-4\r\nMessage: Command blacklisted\r\n\r\n";

    private static readonly byte[] Bytes = Encoding.UTF8.GetBytes(Stream);

    private static void AssertExpected(List<AmiMessage> messages)
    {
        Assert.Equal(8, messages.Count);
        Assert.Equal("2.10.6", messages[0].BannerVersion);
        Assert.Equal("FullyBooted", messages[2].EventName);

        var cmd = messages[3];
        Assert.Equal(AmiMessageKind.Response, cmd.Kind);
        Assert.Equal("Follows", cmd.ResponseStatus);
        Assert.False(cmd.IsSuccess);
        Assert.False(cmd.IsError);
        Assert.Equal("cmd-1", cmd.ActionId);
        Assert.Equal("Command", cmd["Privilege"]);
        Assert.Equal(3, cmd.Count);
        Assert.Null(cmd["Key"]);
        Assert.True(cmd.HasLegacyBody);
        Assert.Equal(Body, cmd.LegacyBody);
        Assert.Equal(Body.TrimEnd('\n').Split('\n'), cmd.CommandOutput);
        Assert.Equal("", cmd.CommandOutput[2]);
        Assert.Equal("Key: looks like a header: but is output", cmd.CommandOutput[3]);

        Assert.Equal("SIP/100-00000001", messages[4]["Channel"]);

        var empty = messages[5];
        Assert.True(empty.HasLegacyBody);
        Assert.Null(empty.ActionId);
        Assert.Equal("", empty.LegacyBody);
        Assert.Empty(empty.CommandOutput);

        Assert.Equal(["no newline before the marker"], messages[6].CommandOutput);
        Assert.Equal("cmd-3", messages[6].ActionId);

        Assert.True(messages[7].IsError);
        Assert.False(messages[7].HasLegacyBody);
        Assert.Empty(messages[7].CommandOutput);
    }

    [Fact]
    public void A_legacy_command_response_yields_its_headers_and_raw_output_lines()
    {
        var result = Feed.Whole(Bytes, AmiParserOptions.Default);
        Assert.Empty(result.Errors);
        Assert.Null(result.Completion);
        AssertExpected(result.Messages);
    }

    [Fact]
    public void A_legacy_command_response_split_at_every_offset_gives_the_same_messages()
    {
        var whole = Feed.Whole(Bytes, AmiParserOptions.Default).Messages;
        for (int cut = 0; cut <= Bytes.Length; cut++)
        {
            var split = Feed.SplitAt(Bytes, AmiParserOptions.Default, cut);
            Feed.AssertSame(whole, split.Messages, $"when cut at {cut}");
            Assert.Null(split.Completion);
        }
        var oneByOne = Feed.ByteByByte(Bytes, AmiParserOptions.Default);
        AssertExpected(oneByOne.Messages);
    }

    [Fact]
    public void A_legacy_command_response_written_back_reproduces_its_bytes()
    {
        var messages = Feed.Whole(Bytes, AmiParserOptions.Default).Messages;
        Assert.Equal(Bytes, messages.SelectMany(m => m.ToWireBytes()).ToArray());
    }

    [Fact]
    public void A_legacy_command_response_cut_before_its_end_marker_is_reported_as_truncated()
    {
        string cut = "Response: Follows\r\nPrivilege: Command\r\nActionID: c\r\nline 1\n\nline 3\n--END COMM";
        var result = Feed.Whole(Encoding.ASCII.GetBytes(cut), new AmiParserOptions { ExpectBanner = false });
        Assert.Empty(result.Messages);
        Assert.Equal(AmiProtocolErrorCode.TruncatedFrame, result.Completion?.Code);
    }

    [Fact]
    public void A_legacy_command_body_larger_than_the_frame_limit_is_reported_and_the_stream_recovers()
    {
        string big = "Response: Follows\r\nPrivilege: Command\r\nActionID: big\r\n" + string.Concat(Enumerable.Repeat("0123456789abcdef\n", 200)) + "--END COMMAND--\r\n\r\n";
        string next = "Event: After\r\n\r\n";
        var result = Feed.InChunks(Encoding.ASCII.GetBytes(big + next), new AmiParserOptions { ExpectBanner = false, MaxFrameSize = 1024 }, Enumerable.Repeat(100, 1000));
        var error = Assert.Single(result.Errors);
        Assert.Equal(AmiProtocolErrorCode.FrameTooLarge, error.Code);
        Assert.Equal(0, error.StreamOffset);
        Assert.Equal("After", Assert.Single(result.Messages).EventName);
        Assert.True(result.MaxBuffered <= 1024 + 8192);
    }
}
