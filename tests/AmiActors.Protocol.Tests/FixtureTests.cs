using System.Text;
using AmiActors.Protocol;

namespace AmiActors.Protocol.Tests;

/// <summary>Every capture from Asterisk 22.10.1, both directions, parsed and checked.</summary>
public class FixtureTests
{
    public static IEnumerable<object[]> AllFiles() => Fixtures.AllFiles();

    private static List<AmiMessage> Parse(string name)
    {
        var result = Feed.Whole(Fixtures.Bytes(name), Fixtures.OptionsFor(name));
        Assert.Empty(result.Errors);
        Assert.Null(result.Completion);
        return result.Messages;
    }

    private static string Signature(AmiMessage m) => m.Kind switch
    {
        AmiMessageKind.Event => $"E {m.EventName} {m.ActionId}".TrimEnd(),
        AmiMessageKind.Response => $"R {m.ResponseStatus} {m.ActionId}".TrimEnd(),
        AmiMessageKind.Banner => $"B {m.BannerVersion}",
        AmiMessageKind.Action => $"A {m.ActionName} {m.ActionId}".TrimEnd(),
        _ => "?",
    };

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Every_capture_parses_to_the_same_frames_and_headers_as_a_simple_reference_reading(string name)
    {
        byte[] bytes = Fixtures.Bytes(name);
        bool recv = name.EndsWith(".recv.txt", StringComparison.Ordinal);
        var messages = Parse(name);
        var expected = bytes.Length == 0 ? [] : ReferenceReader.Frames(bytes, banner: recv);

        Assert.Equal(expected.Count, messages.Count);
        for (int f = 0; f < expected.Count; f++)
        {
            var m = messages[f];
            Assert.Equal(expected[f].Select(h => h.Name), Enumerable.Range(0, m.Count).Select(m.NameAt));
            Assert.Equal(expected[f].Select(h => h.Value), Enumerable.Range(0, m.Count).Select(m.ValueAt));
            Assert.Equal(expected[f].Select(h => new AmiHeader(h.Name, h.Value)), m.Headers);
            Assert.False(m.HasLegacyBody);
        }
        if (recv && bytes.Length > 0)
        {
            Assert.Equal(AmiMessageKind.Banner, messages[0].Kind);
            Assert.Equal("Asterisk Call Manager/11.0.0", messages[0].BannerText);
            Assert.Equal("11.0.0", messages[0].BannerVersion);
            Assert.All(messages.Skip(1), m => Assert.True(m.Kind is AmiMessageKind.Event or AmiMessageKind.Response, $"{name}: {m}"));
        }
        if (!recv)
        {
            Assert.All(messages, m => Assert.Equal(AmiMessageKind.Action, m.Kind));
        }
    }

    [Theory]
    [InlineData("banner.recv.txt", "B 11.0.0")]
    [InlineData("action-before-login.recv.txt", "B 11.0.0|R Error prelogin-ping|R Error prelogin-cmd|R Success prelogin-login|R Goodbye logoff-1")]
    [InlineData("challenge-bad-authtype.recv.txt", "B 11.0.0|R Error chal-3|R Error chal-4")]
    [InlineData("command-core-show-version.recv.txt", "B 11.0.0|R Success login-1|R Success cmd-1|R Goodbye logoff-1")]
    [InlineData("command-variants.recv.txt", "B 11.0.0|R Success login-1|R Success cmd-multi|R Success cmd-dialplan|R Success cmd-empty-output|R Error cmd-unknown|R Error cmd-blacklisted|R Success cmd-help|R Error cmd-none|R Goodbye logoff-1")]
    [InlineData("coreshowchannels-active.recv.txt", "B 11.0.0|R Success login-1|R Success csc-orig|R Success csc-2|E CoreShowChannel csc-2|E CoreShowChannel csc-2|E CoreShowChannelsComplete csc-2|R Goodbye logoff-1")]
    [InlineData("coreshowchannels-empty.recv.txt", "B 11.0.0|R Success login-1|R Success csc-1|E CoreShowChannelsComplete csc-1|R Goodbye logoff-1")]
    [InlineData("events-off-on.recv.txt", "B 11.0.0|R Success ev-login|R Success ev-on|R Success ue-1|E UserEvent ue-1|R Success ev-off|R Success ue-2|R Success ev-mask|R Success ev-off2|R Error ev-none|R Goodbye logoff-1")]
    [InlineData("listcommands.recv.txt", "B 11.0.0|R Success login-1|R Success lc-1|R Goodbye logoff-1")]
    [InlineData("login-md5.recv.txt", "B 11.0.0|R Success chal-1|R Success md5login-1|R Success md5-ping|R Goodbye logoff-1")]
    [InlineData("login-plain.recv.txt", "B 11.0.0|R Success login-plain-1|E FullyBooted|E SuccessfulAuth|R Goodbye logoff-1")]
    [InlineData("login-wrong-password.recv.txt", "B 11.0.0|R Error badpw-1")]
    [InlineData("logoff.recv.txt", "B 11.0.0|R Success lo-login|R Goodbye lo-1")]
    [InlineData("long-header-1023.recv.txt", "B 11.0.0|R Success login-1|R Error long-1023|R Error|R Success after-long-1023|R Goodbye logoff-1")]
    [InlineData("many-headers-129.recv.txt", "B 11.0.0|R Success login-1|R Error many-129|R Success after-many-129|R Goodbye logoff-1")]
    [InlineData("no-actionid.recv.txt", "B 11.0.0|R Success login-1|R Success|R Success|E CoreShowChannelsComplete|R Success|R Error|R Goodbye logoff-1")]
    [InlineData("originate-sync.recv.txt", "B 11.0.0|R Success origs-login|R Success orig-sync-1|R Error orig-sync-3|R Success ping-while-sync-originate|R Error orig-sync-2|R Goodbye logoff-1")]
    [InlineData("ping.recv.txt", "B 11.0.0|R Success login-1|R Success ping-1|R Success|R Goodbye logoff-1")]
    [InlineData("reader-permission-denied.recv.txt", "B 11.0.0|R Success rd-login|R Error rd-orig|R Error rd-cmd|R Success rd-ping|R Error rd-csc|R Goodbye logoff-1")]
    [InlineData("shutdown.recv.txt", "B 11.0.0|R Success sd-login|E FullyBooted|E SuccessfulAuth|E Shutdown")]
    [InlineData("unknown-action.recv.txt", "B 11.0.0|R Success login-1|R Error unk-1|R Goodbye logoff-1")]
    [InlineData("login-md5.sent.txt", "A Challenge chal-1|A Login md5login-1|A Ping md5-ping|A Logoff logoff-1")]
    [InlineData("no-actionid.sent.txt", "A Login login-1|A Ping|A CoreShowChannels|A Command|A ActionID-empty|A Logoff logoff-1")]
    [InlineData("long-header-1023.sent.txt", "A Login login-1|A UserEvent long-1023|A Ping after-long-1023|A Logoff logoff-1")]
    [InlineData("many-headers-129.sent.txt", "A Login login-1|A UserEvent many-129|A Ping after-many-129|A Logoff logoff-1")]
    [InlineData("event-stream-2000.sent.txt", "A Login es-login")]
    [InlineData("shutdown.sent.txt", "A Login sd-login")]
    public void Captures_yield_their_messages_in_order(string name, string signatures)
    {
        Assert.Equal(signatures.Split('|'), Parse(name).Select(Signature));
    }

    [Fact]
    public void Event_stream_2000_yields_exactly_2000_events_after_the_login_exchange()
    {
        var messages = Parse("event-stream-2000.recv.txt");
        Assert.Equal("B 11.0.0", Signature(messages[0]));
        Assert.Equal("R Success es-login", Signature(messages[1]));
        Assert.Equal("Authentication accepted", messages[1].ResponseMessage);
        var events = messages.Skip(2).ToList();
        Assert.Equal(2000, events.Count);
        Assert.All(events, m => Assert.Equal(AmiMessageKind.Event, m.Kind));
        Assert.Equal(534, events.Count(e => e.EventName == "Newexten"));
        Assert.Equal(394, events.Count(e => e.EventName == "VarSet"));
        Assert.Equal(44, events.Count(e => e.EventName == "OriginateResponse"));
        Assert.Equal(13, events.Count(e => e.EventName == "UserEvent"));
    }

    [Fact]
    public void OriginateResponse_is_an_event_although_it_carries_a_Response_header()
    {
        var events = Parse("event-stream-2000.recv.txt").Where(m => m.EventName == "OriginateResponse").ToList();
        Assert.NotEmpty(events);
        Assert.All(events, e =>
        {
            Assert.Equal(AmiMessageKind.Event, e.Kind);
            Assert.NotNull(e.ResponseStatus);
            Assert.False(e.IsSuccess);
            Assert.NotNull(e.ActionId);
        });
        var asyncEvents = Parse("originate-async.recv.txt").Where(m => m.EventName == "OriginateResponse").ToList();
        Assert.Contains(asyncEvents, e => e.ActionId == "orig-app-1" && e["Reason"] == "4" && e["Response"] == "Success");
    }

    [Fact]
    public void Non_ascii_caller_names_are_decoded_from_utf8()
    {
        var events = Parse("event-stream-2000.recv.txt");
        Assert.Contains(events, e => e["CallerIDName"] == "Jürgen Ñandú");
        Assert.Contains(events, e => e["CallerIDName"] == "Zoë \\\"quoted\\\" 名前");
        var m = events.First(e => e["CallerIDName"] == "Jürgen Ñandú");
        int i = m.IndexOf("CallerIDName");
        Assert.Equal(Encoding.UTF8.GetBytes("Jürgen Ñandú"), m.ValueBytes(i).ToArray());
    }

    [Fact]
    public void Lookups_are_case_insensitive_and_return_the_first_occurrence_and_the_same_string_each_time()
    {
        var m = Parse("coreshowchannels-active.recv.txt")[4];
        Assert.Equal("CoreShowChannel", m.EventName);
        Assert.Equal("Local/200@test-00000000;1", m["channel"]);
        Assert.Equal("Local/200@test-00000000;1", m.Get("CHANNEL"));
        Assert.Same(m["Channel"], m["channel"]);
        Assert.True(m.TryGet("uniqueid", out var uid));
        Assert.Equal("1795433933.0", uid);
        Assert.False(m.TryGet("NoSuchHeader", out _));
        Assert.Null(m["NoSuchHeader"]);
        Assert.Empty(m.GetAll("NoSuchHeader"));
        Assert.Equal("", m["AccountCode"]);
        Assert.True(m.Contains("BridgeId"));
        Assert.Equal("", m["BridgeId"]);
    }

    [Fact]
    public void List_scenarios_yield_their_items_and_a_complete_event_with_the_right_item_count()
    {
        foreach (var (name, id, items) in new[] { ("coreshowchannels-active.recv.txt", "csc-2", 2), ("coreshowchannels-empty.recv.txt", "csc-1", 0) })
        {
            var related = Parse(name).Where(m => m.ActionId == id).ToList();
            var start = related[0];
            Assert.True(start.IsSuccess);
            Assert.True(start.IsListStart);
            Assert.Equal("start", start.EventList);
            Assert.Equal("Channels will follow", start.ResponseMessage);
            Assert.Equal(items, related.Count(m => m.EventName == "CoreShowChannel"));
            var complete = related[^1];
            Assert.Equal("CoreShowChannelsComplete", complete.EventName);
            Assert.True(complete.IsListComplete);
            Assert.False(complete.IsListStart);
            Assert.Equal(items, complete.ListItems);
            Assert.Equal(items + 2, related.Count);
        }
    }

    [Fact]
    public void Modern_command_output_keeps_every_line_in_order_including_empty_and_indented_ones()
    {
        var messages = Parse("command-variants.recv.txt");
        var dialplan = messages.Single(m => m.ActionId == "cmd-dialplan");
        Assert.True(dialplan.IsSuccess);
        Assert.Equal("Command output follows", dialplan.ResponseMessage);
        var output = dialplan.CommandOutput;
        Assert.Equal(9, output.Count);
        Assert.Equal("[ Context 'test' created by 'pbx_config' ]", output[0]);
        Assert.StartsWith("  '100' =>", output[1]);
        Assert.Equal("", output[7]);
        Assert.Equal("-= 2 extensions (6 priorities) in 1 context. =-", output[8]);
        Assert.Equal(output, dialplan.GetAll("Output"));

        Assert.Equal(["System uptime: 6 seconds", "Last reload: 6 seconds"], messages.Single(m => m.ActionId == "cmd-multi").CommandOutput);
        var unknown = messages.Single(m => m.ActionId == "cmd-unknown");
        Assert.True(unknown.IsError);
        Assert.Single(unknown.CommandOutput);
        var blacklisted = messages.Single(m => m.ActionId == "cmd-blacklisted");
        Assert.True(blacklisted.IsError);
        Assert.Equal("Command blacklisted", blacklisted.ResponseMessage);
        Assert.Empty(blacklisted.CommandOutput);
        Assert.Equal(12, messages.Single(m => m.ActionId == "cmd-help").CommandOutput.Count);
    }

    [Fact]
    public void Server_limit_errors_are_read_as_error_responses_with_their_messages()
    {
        var longLine = Parse("long-header-1023.recv.txt");
        Assert.Equal("Failed to parse message: line too long", longLine.Single(m => m.ActionId == "long-1023").ResponseMessage);
        Assert.Equal("Missing action in request", longLine.Single(m => m.Kind == AmiMessageKind.Response && m.ActionId is null).ResponseMessage);
        var many = Parse("many-headers-129.recv.txt");
        Assert.Equal("Too many lines in message or allocation failure", many.Single(m => m.ActionId == "many-129").ResponseMessage);
    }

    [Fact]
    public void Ping_reply_carries_pong_and_a_timestamp()
    {
        var pong = Parse("ping.recv.txt").Single(m => m.ActionId == "ping-1");
        Assert.True(pong.IsSuccess);
        Assert.Equal("Pong", pong["Ping"]);
        Assert.Equal("1795433933.299894", pong["Timestamp"]);
    }

    [Fact]
    public void Listcommands_is_one_large_response_with_every_action_as_a_header()
    {
        var lc = Parse("listcommands.recv.txt").Single(m => m.ActionId == "lc-1");
        Assert.Equal(AmiMessageKind.Response, lc.Kind);
        Assert.Equal("Set absolute timeout.  (Priv: system,call,all)", lc["AbsoluteTimeout"]);
        Assert.True(lc.Count > 80);
    }

    [Fact]
    public void Sent_captures_are_client_actions_with_their_secrets_and_names()
    {
        var login = Parse("login-plain.sent.txt")[0];
        Assert.Equal(AmiMessageKind.Action, login.Kind);
        Assert.Equal("Login", login.ActionName);
        Assert.Equal("amp111", login["Secret"]);
        Assert.DoesNotContain("amp111", login.ToString());
        var empty = Parse("no-actionid.sent.txt").Single(m => m.ActionName == "ActionID-empty");
        Assert.Equal("", empty.ActionId);
    }

    [Fact]
    public void Wire_bytes_of_parsed_messages_reproduce_the_capture()
    {
        foreach (var name in new[] { "event-stream-2000.recv.txt", "command-variants.recv.txt", "login-md5.sent.txt" })
        {
            byte[] bytes = Fixtures.Bytes(name);
            var rebuilt = Parse(name).SelectMany(m => m.ToWireBytes()).ToArray();
            Assert.Equal(bytes, rebuilt);
        }
    }
}
