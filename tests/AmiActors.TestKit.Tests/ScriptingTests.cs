using AmiActors.Protocol;

namespace AmiActors.TestKit.Tests;

public class ScriptingTests
{
    private static readonly FakeAsteriskOptions Fast = new() { FailedLoginDelay = TimeSpan.FromMilliseconds(50), OriginateDelay = TimeSpan.FromMilliseconds(10) };

    [Fact]
    public async Task A_custom_handler_answers_with_the_actions_ActionID_and_sees_the_session()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        FakeAmiSession? seen = null;
        server.OnAction("QueueSummary", ctx =>
        {
            seen = ctx.Session;
            return ctx.Success("Done", ("Queue", ctx.Header("Queue") ?? "none"));
        });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync("Action: QueueSummary\r\nActionID: q-1\r\nQueue: sales\r\n\r\n");
        var reply = await client.WaitForFrameAsync(f => f.ActionId == "q-1", "the QueueSummary reply");
        Assert.Equal(["Response", "ActionID", "Message", "Queue"], reply.Headers.Select(h => h.Name));
        Assert.Equal("sales", reply["Queue"]);
        Assert.Equal("Done", reply.ResponseMessage);
        Assert.Same(server.Sessions.Single(), seen);
    }

    [Fact]
    public async Task A_custom_handler_can_send_a_list_and_then_delegate_to_the_built_in()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        server.OnAction("QueueStatus", async ctx =>
        {
            await ctx.SendListAsync("Queue status will follow", "QueueStatusComplete",
                [[("Event", "QueueParams"), ("Queue", "q1")], [("Event", "QueueParams"), ("Queue", "q2")]]);
            return null;
        });
        int pings = 0;
        server.OnAction("Ping", async ctx =>
        {
            Interlocked.Increment(ref pings);
            return await ctx.RunBuiltInAsync();
        });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync("Action: QueueStatus\r\nActionID: qs\r\n\r\nAction: Ping\r\nActionID: p\r\n\r\n");
        await client.WaitForFrameAsync(f => f.ActionId == "p", "the ping reply");
        var list = client.Frames.Where(f => f.ActionId == "qs").ToList();
        Assert.Equal(4, list.Count);
        Assert.True(list[0].IsListStart);
        Assert.Equal(["Event", "ActionID", "Queue"], list[1].Headers.Select(h => h.Name));
        Assert.Equal(2, list[3].ListItems);
        Assert.Equal("Pong", client.Frames.Single(f => f.ActionId == "p")["Ping"]);
        Assert.Equal(1, pings);
    }

    [Fact]
    public async Task A_handler_that_throws_is_answered_with_an_error_and_recorded()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        server.OnAction("Boom", async _ =>
        {
            await Task.Yield();
            throw new InvalidOperationException("scripted failure");
        });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync("Action: Boom\r\nActionID: b\r\n\r\n");
        var reply = await client.WaitForFrameAsync(f => f.ActionId == "b", "the Boom reply");
        Assert.True(reply.IsError);
        Assert.IsType<InvalidOperationException>(Assert.Single(server.HandlerErrors));
    }

    [Fact]
    public async Task Removing_a_handler_restores_the_built_in_answer()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        var registration = server.OnAction("Ping", ctx => ctx.Error("scripted"));
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync("Action: Ping\r\nActionID: p1\r\n\r\n");
        Assert.True((await client.WaitForFrameAsync(f => f.ActionId == "p1", "p1")).IsError);
        registration.Dispose();
        await client.SendAsync("Action: Ping\r\nActionID: p2\r\n\r\n");
        Assert.True((await client.WaitForFrameAsync(f => f.ActionId == "p2", "p2")).IsSuccess);
    }

    [Fact]
    public async Task Handlers_with_a_required_permission_refuse_users_without_it()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        server.OnAction("Redirect", ctx => ctx.Success("Redirect successful"), FakeAmiPermissions.Call);
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync("reader", "reader", events: "off");
        await client.SendAsync("Action: Redirect\r\nActionID: r\r\n\r\n");
        Assert.Equal("Permission denied", (await client.WaitForFrameAsync(f => f.ActionId == "r", "r")).ResponseMessage);
    }

    [Fact]
    public async Task Received_actions_are_recorded_per_session_and_globally_in_order()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        await using var a = await RawAmiClient.ConnectAsync(server.EndPoint);
        await using var b = await RawAmiClient.ConnectAsync(server.EndPoint);
        await a.LoginAsync(events: "off");
        await b.LoginAsync(events: "off");
        await a.SendAsync("Action: Ping\r\nActionID: a1\r\n\r\n");
        await b.SendAsync("Action: Ping\r\nActionID: b1\r\n\r\n");
        var pings = await server.WaitForActionCountAsync("ping", 2);
        Assert.Equal(["a1", "b1"], pings.Select(p => p.ActionId).Order());
        var sessions = server.Sessions;
        Assert.All(sessions, s => Assert.Equal(["Login", "Ping"], s.ReceivedActions.Select(r => r.Name)));
        Assert.Equal(Enumerable.Range(1, 4).Select(i => (long)i), server.ReceivedActions.Select(r => r.Sequence));
        var login = await server.WaitForActionAsync("Login", m => m["Username"] == "admin");
        Assert.Equal(AmiMessageKind.Action, login.Message.Kind);
        Assert.DoesNotContain("amp111", login.ToString());
        Assert.DoesNotContain("amp111", FakeAmiUser.Admin.ToString());
    }

    [Fact]
    public async Task Waiting_for_something_that_never_happens_times_out_with_a_clear_message()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => server.WaitForActionAsync("Originate", timeout: TimeSpan.FromMilliseconds(100)));
        Assert.Contains("Originate", ex.Message);
    }

    [Fact]
    public async Task Emitted_events_reach_only_sessions_whose_mask_and_permissions_allow_them()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast with
        {
            Users = [FakeAmiUser.Admin, new FakeAmiUser("calls", "x") { Read = FakeAmiPermissions.Call }],
        });
        await using var all = await RawAmiClient.ConnectAsync(server.EndPoint);
        await using var off = await RawAmiClient.ConnectAsync(server.EndPoint);
        await using var callsOnly = await RawAmiClient.ConnectAsync(server.EndPoint);
        await using var notLoggedIn = await RawAmiClient.ConnectAsync(server.EndPoint);
        await all.LoginAsync();
        await off.LoginAsync(events: "off");
        await callsOnly.LoginAsync("calls", "x");
        await server.WaitForSessionsAsync(4);
        // The banner is written by the session's own thread: wait for it, so the last check counts only what came after.
        await notLoggedIn.WaitForFrameAsync(f => f.Kind == AmiMessageKind.Banner, "the banner");

        Assert.Equal(2, await server.EmitEventAsync(("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", "PJSIP/1-00000001")));
        Assert.Equal(1, await server.EmitEventAsync(("Event", "PeerStatus"), ("Privilege", "system,all")));
        await all.WaitForFrameAsync(f => f.EventName == "PeerStatus", "PeerStatus");
        await callsOnly.WaitForFrameAsync(f => f.EventName == "Hangup", "Hangup");
        await off.SendAsync("Action: Ping\r\nActionID: sync\r\n\r\n");
        await off.WaitForFrameAsync(f => f.ActionId == "sync", "ping");
        Assert.DoesNotContain(off.Frames, f => f.EventName is "Hangup" or "PeerStatus");
        Assert.DoesNotContain(callsOnly.Frames, f => f.EventName is "PeerStatus");
        Assert.Single(notLoggedIn.Frames); // the banner only
    }

    [Fact]
    public async Task Events_can_be_sent_to_chosen_sessions_only()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        await using var a = await RawAmiClient.ConnectAsync(server.EndPoint);
        await using var b = await RawAmiClient.ConnectAsync(server.EndPoint);
        await a.LoginAsync();
        await b.LoginAsync();
        var sessions = await server.WaitForLoginsAsync(2);
        var evt = AmiMessage.Create(("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", "OnlyA"));
        Assert.Equal(1, await server.EmitEventAsync(evt, [sessions[0]]));
        await sessions[1].SendEventAsync(("Event", "Direct"), ("Privilege", "user,all"));
        await a.WaitForFrameAsync(f => f["UserEvent"] == "OnlyA", "the event for A");
        await b.WaitForFrameAsync(f => f.EventName == "Direct", "the event for B");
        Assert.DoesNotContain(b.Frames, f => f["UserEvent"] == "OnlyA");
        Assert.DoesNotContain(a.Frames, f => f.EventName == "Direct");
    }

    [Fact]
    public async Task UserEvent_is_echoed_to_every_session_that_reads_user_events()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        await using var sender = await RawAmiClient.ConnectAsync(server.EndPoint);
        await using var listener = await RawAmiClient.ConnectAsync(server.EndPoint);
        await sender.LoginAsync(events: "user");
        await listener.LoginAsync(events: "call,user");
        await sender.SendAsync("Action: UserEvent\r\nActionID: u1\r\nUserEvent: Hello\r\nFoo: 1\r\n\r\n");
        var seen = await listener.WaitForFrameAsync(f => f.EventName == "UserEvent", "the UserEvent");
        Assert.Equal(["Event", "Privilege", "UserEvent", "ActionID", "Foo"], seen.Headers.Select(h => h.Name));
        await sender.WaitForFrameAsync(f => f.EventName == "UserEvent", "the echo to the sender");
    }

    [Fact]
    public async Task Status_lists_channels_with_ActionID_last_and_Hangup_removes_them()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        server.AddChannel(new FakeChannel("PJSIP/100-00000001") { CallerIdNum = "100" });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync("Action: Status\r\nActionID: st\r\n\r\n");
        var complete = await client.WaitForFrameAsync(f => f.EventName == "StatusComplete", "StatusComplete");
        Assert.Equal(1, complete.ListItems);
        Assert.Equal("1", complete["Items"]);
        var item = client.Frames.Single(f => f.EventName == "Status");
        Assert.Equal("ActionID", item.NameAt(item.Count - 1));
        Assert.Equal("Call", item["Privilege"]);
        await client.SendAsync("Action: Hangup\r\nActionID: h\r\nChannel: PJSIP/100-00000001\r\n\r\nAction: Status\r\nActionID: st2\r\nChannel: PJSIP/100-00000001\r\n\r\n");
        var missing = await client.WaitForFrameAsync(f => f.ActionId == "st2", "Status for a gone channel");
        Assert.Equal("No such channel", missing.ResponseMessage);
        Assert.Empty(server.Channels);
    }

    [Fact]
    public async Task Legacy_command_framing_is_parsed_as_a_follows_body()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast with
        {
            LegacyCommandFraming = true,
            Commands = new Dictionary<string, string> { ["sip show peers"] = "Name/username: Host\n100/100: 10.0.0.1\n1 sip peers" },
        });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync("Action: Command\r\nActionID: c\r\nCommand: sip show peers\r\n\r\n");
        var reply = await client.WaitForFrameAsync(f => f.ActionId == "c", "the command reply");
        Assert.Equal("Follows", reply.ResponseStatus);
        Assert.True(reply.HasLegacyBody);
        Assert.Equal(["Name/username: Host", "100/100: 10.0.0.1", "1 sip peers"], reply.CommandOutput);
        Assert.Contains("1 sip peers\n--END COMMAND--\r\n\r\n", System.Text.Encoding.UTF8.GetString(client.RawBytes));
    }

    [Fact]
    public async Task A_second_login_is_already_authenticated_and_the_banner_version_is_configurable()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast with { AmiVersion = "2.10.4" });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync("Action: Login\r\nActionID: again\r\nUsername: admin\r\nSecret: amp111\r\n\r\n");
        var reply = await client.WaitForFrameAsync(f => f.ActionId == "again", "the second login reply");
        Assert.Equal("Already authenticated", reply.ResponseMessage);
        Assert.True(reply.IsSuccess);
        Assert.Equal("2.10.4", client.Frames[0].BannerVersion);
    }

    [Fact]
    public async Task Stray_empty_lines_are_each_answered_with_missing_action()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync("\r\n\r\nAction: Ping\r\nActionID: p\r\n\r\n");
        await client.WaitForFrameAsync(f => f.ActionId == "p", "ping");
        Assert.Equal(2, client.Frames.Count(f => f.ResponseMessage == "Missing action in request"));
    }

    [Fact]
    public async Task Originate_can_create_channels_that_CoreShowChannels_lists()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast with { OriginateCreatesChannels = true });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync();
        await client.SendAsync("Action: Originate\r\nActionID: o\r\nChannel: PJSIP/200\r\nContext: test\r\nExten: 200\r\nPriority: 1\r\nAsync: true\r\n\r\n");
        var response = await client.WaitForFrameAsync(f => f.EventName == "OriginateResponse", "OriginateResponse");
        Assert.Equal("4", response["Reason"]);
        var channel = Assert.Single(server.Channels);
        Assert.Equal(response["Channel"], channel.Name);
        Assert.Equal(response["Uniqueid"], channel.Uniqueid);
    }
}

public class EventBuilderTests
{
    [Fact]
    public async Task Channel_events_have_the_real_snapshot_layout_and_reach_call_readers()
    {
        await using var server = await FakeAsteriskServer.StartAsync();
        var channel = server.AddChannel(new FakeChannel(server.NewChannelName("PJSIP/100")) { State = 4, StateDesc = "Ring" });
        Assert.Matches("^PJSIP/100-[0-9a-f]{8}$", channel.Name);
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "call");
        await server.EmitEventAsync(FakeAmiEvents.Newchannel(channel));
        await server.EmitEventAsync(FakeAmiEvents.Hangup(channel));
        var hangup = await client.WaitForFrameAsync(f => f.EventName == "Hangup", "Hangup");
        var expected = Protocol.AmiStreamDecoder.Decode(Fixtures.Bytes("originate-async-fail.recv.txt")).First(m => m.EventName == "Hangup");
        Assert.Equal(expected.Headers.Select(h => h.Name), hangup.Headers.Select(h => h.Name));
        Assert.Equal("call,all", hangup["Privilege"]);
        Assert.Equal(channel.Uniqueid, client.Frames.Single(f => f.EventName == "Newchannel")["Uniqueid"]);
        Assert.NotEqual(server.NewUniqueId(), server.NewUniqueId());
    }
}

public class FilterAndVariableTests
{
    [Fact]
    public async Task Filters_let_through_only_matching_events_and_drop_excluded_ones()
    {
        await using var server = await FakeAsteriskServer.StartAsync();
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "on");
        await client.SendAsync("Action: Filter\r\nActionID: f1\r\nOperation: Add\r\nFilter: Event: (Hangup|Newchannel)\r\n\r\n"
            + "Action: Filter\r\nActionID: f2\r\nOperation: Add\r\nFilter: !Channel: Local/\r\n\r\n"
            + "Action: Filter\r\nActionID: f3\r\nOperation: Add\r\nFilter: (unclosed\r\n\r\n");
        var bad = await client.WaitForFrameAsync(f => f.ActionId == "f3", "the bad filter's reply");
        Assert.True(bad.IsError);
        Assert.Equal("Filter Added Successfully", client.Frames.Single(f => f.ActionId == "f1").ResponseMessage);
        await server.EmitEventAsync(("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "Local/1@x-00000001;1"));
        await server.EmitEventAsync(("Event", "Newstate"), ("Privilege", "call,all"), ("Channel", "PJSIP/1-00000002"));
        await server.EmitEventAsync(("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", "PJSIP/1-00000002"));
        await client.WaitForFrameAsync(f => f.EventName == "Hangup", "the Hangup");
        Assert.Equal(["Hangup"], client.Frames.Where(f => f.Kind == Protocol.AmiMessageKind.Event && f.EventName != "FullyBooted" && f.EventName != "SuccessfulAuth").Select(f => f.EventName));
        Assert.Equal(["Event: (Hangup|Newchannel)", "!Channel: Local/"], server.Sessions.Single().Filters);
    }

    [Fact]
    public async Task Setvar_and_Getvar_keep_variables_per_channel_and_globally()
    {
        await using var server = await FakeAsteriskServer.StartAsync();
        server.SetVariable("", "PRESET", "yes");
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync("Action: Setvar\r\nActionID: s\r\nVariable: FOO\r\nValue: bar\r\n\r\n"
            + "Action: Getvar\r\nActionID: g1\r\nVariable: FOO\r\n\r\n"
            + "Action: Getvar\r\nActionID: g2\r\nVariable: PRESET\r\n\r\n"
            + "Action: Getvar\r\nActionID: g3\r\nVariable: FOO\r\nChannel: PJSIP/none\r\n\r\n");
        await client.WaitForFrameAsync(f => f.ActionId == "g3", "the last Getvar");
        Assert.Equal("Variable Set", client.Frames.Single(f => f.ActionId == "s").ResponseMessage);
        var g1 = client.Frames.Single(f => f.ActionId == "g1");
        Assert.Equal(["Response", "ActionID", "Variable", "Value"], g1.Headers.Select(h => h.Name));
        Assert.Equal("bar", g1["Value"]);
        Assert.Equal("yes", client.Frames.Single(f => f.ActionId == "g2")["Value"]);
        Assert.Equal("No such channel", client.Frames.Single(f => f.ActionId == "g3").ResponseMessage);
        Assert.Equal("bar", server.GetVariable("", "FOO"));
    }
}
