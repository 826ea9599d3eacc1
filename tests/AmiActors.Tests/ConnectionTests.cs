using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests;

public class ConnectionTests(ITestOutputHelper output) : RuntimeTestBase(output)
{
    [Fact]
    public async Task Plain_login_connects_and_Ping_is_answered()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var result = await client.SendAsync("pbx1", Ping);

        Assert.True(result.IsSuccess);
        Assert.Equal("Pong", result.Response.Get("Ping"));
        var login = (await server.WaitForActionAsync("Login")).Message;
        Assert.Equal("amp111", login.Get("Secret"));
        var status = Assert.Single(await client.GetServersAsync());
        Assert.Equal("11.0.0", status.AmiVersion);
    }

    [Fact]
    public async Task Md5_login_sends_a_key_and_never_the_secret()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server) with { AuthType = AmiAuthType.Md5 }));

        Assert.True((await client.SendAsync("pbx1", Ping)).IsSuccess);
        await server.WaitForActionAsync("Challenge");
        var login = (await server.WaitForActionAsync("Login")).Message;
        Assert.Null(login.Get("Secret"));
        Assert.Equal(32, login.Get("Key")!.Length);
    }

    [Fact]
    public async Task A_wrong_secret_is_a_visible_authentication_failure_without_a_hot_reconnect_loop()
    {
        var server = await StartServerAsync();
        var states = CreateTestProbe();
        var client = AmiClient.Start(Sys, FastSettings(Definition(server, secret: "wrong")));
        await client.SubscribeConnectionStateAsync(states.Ref, "pbx1");

        var failed = await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.AuthenticationFailed, Long);
        Assert.Contains("Authentication failed", failed.Reason);
        Assert.DoesNotContain("wrong", failed.Reason);
        var error = await Assert.ThrowsAsync<AmiAuthenticationException>(() => client.SendAsync("pbx1", Ping));
        Assert.Equal("admin", error.Username);
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.AuthenticationFailed);

        // authentication-failure-backoff (30 s) holds the next attempt back, far beyond the fast reconnect backoff.
        await Task.Delay(1000);
        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task An_unknown_server_id_gets_a_specific_failure()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var error = await Assert.ThrowsAsync<UnknownServerException>(() => client.SendAsync("nope", Ping));
        Assert.Equal("nope", error.ServerId);
    }

    [Fact]
    public async Task A_thousand_concurrent_asks_each_get_their_own_reply()
    {
        var server = await StartServerAsync();
        server.OnAction("Echo", c => c.Success("echo", ("Echoed", c.Header("Value") ?? "")));
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var tasks = Enumerable.Range(0, 1000)
            .Select(i => client.SendAsync("pbx1", new AmiAction("Echo", ("Value", i.ToString()))))
            .ToArray();
        var results = await Task.WhenAll(tasks);

        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(i.ToString(), results[i].Response.Get("Echoed"));
        }
        Assert.Equal(1000, results.Select(r => r.ActionId).Distinct().Count());
        Assert.All(results, r => Assert.True(r.ActionId.Length <= 12, r.ActionId));
    }

    [Fact]
    public async Task A_list_action_returns_the_response_every_item_and_the_complete_event()
    {
        var server = await StartServerAsync();
        server.AddChannel(new FakeChannel("PJSIP/100-00000001") { Uniqueid = "1.1" });
        server.AddChannel(new FakeChannel("PJSIP/200-00000002") { Uniqueid = "1.2" });
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var result = await client.SendAsync("pbx1", new AmiAction("CoreShowChannels"));

        Assert.True(result.Response.IsListStart);
        Assert.Equal(2, result.Events.Count);
        Assert.All(result.Events, e => Assert.Equal("CoreShowChannel", e.EventName));
        Assert.NotNull(result.Complete);
        Assert.Equal(2, result.Complete!.ListItems);
    }

    [Fact]
    public async Task Command_output_lines_are_returned()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var result = await client.SendAsync("pbx1", new AmiAction("Command", ("Command", "core show version")));

        Assert.Contains(result.CommandOutput, line => line.Contains("Asterisk 22.10.1"));
    }

    [Fact]
    public async Task Async_originate_returns_the_OriginateResponse_on_success_and_throws_with_the_reason_on_failure()
    {
        var server = await StartServerAsync(new FakeAsteriskOptions
        {
            OriginateOutcomeSelector = a => a.Get("Exten") == "999" ? FakeOriginateOutcome.NoAnswer : FakeOriginateOutcome.Answered,
        });
        var client = await StartClientAsync(FastSettings(Definition(server)));
        AmiAction Originate(string exten) => new("Originate", ("Channel", "PJSIP/100"), ("Context", "test"), ("Exten", exten), ("Priority", "1"), ("Async", "true"));

        var ok = await client.SendAsync("pbx1", Originate("100"));
        Assert.Equal("Success", ok.OriginateResponse!.Get("Response"));

        var error = await Assert.ThrowsAsync<AmiErrorResponseException>(() => client.SendAsync("pbx1", Originate("999")));
        Assert.Equal("3", error.Result.OriginateResponse!.Get("Reason"));
        Assert.Contains("Reason 3", error.Message);

        var raw = await client.SendRawAsync("pbx1", Originate("999"));
        Assert.False(raw.IsSuccess);
    }

    [Fact]
    public async Task Async_originate_times_out_waiting_for_the_OriginateResponse()
    {
        var server = await StartServerAsync(new FakeAsteriskOptions { OriginateDelay = TimeSpan.FromSeconds(30) });
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var error = await Assert.ThrowsAsync<AmiActionTimeoutException>(() => client.SendAsync("pbx1",
            new AmiAction("Originate", ("Channel", "PJSIP/100"), ("Context", "test"), ("Exten", "100"), ("Priority", "1"), ("Async", "true")),
            TimeSpan.FromMilliseconds(500)));
        Assert.Equal("OriginateResponse", error.Stage);
    }

    [Fact]
    public async Task An_action_times_out_and_its_late_reply_is_dropped()
    {
        var server = await StartServerAsync();
        server.OnAction("Slow", async c =>
        {
            await Task.Delay(1500, c.CancellationToken);
            return c.Success("late");
        });
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var error = await Assert.ThrowsAsync<AmiActionTimeoutException>(() => client.SendAsync("pbx1", new AmiAction("Slow"), TimeSpan.FromMilliseconds(300)));
        Assert.Equal("the response", error.Stage);

        // The server answers in order: the Ping's reply comes after the late one, which must not be taken for it.
        var ping = await client.SendAsync("pbx1", Ping);
        Assert.Equal("Pong", ping.Response.Get("Ping"));
    }

    [Fact]
    public async Task A_value_with_CR_LF_is_refused_before_any_byte_is_written()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        server.ClearReceivedActions();

        var injected = new AmiAction("UserEvent", ("UserEvent", "x"), ("Body", "a\r\nAction: Hangup"));
        await Assert.ThrowsAsync<AmiActionValidationException>(() => client.SendAsync("pbx1", injected));
        // The same through the manager directly (bypassing the facade's own check).
        await Assert.ThrowsAsync<AmiActionValidationException>(() => client.Manager.Ask(new AmiManager.SendAction("pbx1", injected), Long));

        await client.SendAsync("pbx1", Ping);
        var received = server.ReceivedActions;
        Assert.Equal(["Ping"], received.Select(a => a.Name).ToArray());
    }

    [Fact]
    public async Task Tls_connections_log_in_and_answer()
    {
        var server = await StartServerAsync(new FakeAsteriskOptions { UseTls = true });
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var result = await client.SendAsync("pbx1", Ping);

        Assert.True(result.IsSuccess);
        Assert.True(Assert.Single(server.Sessions).IsTls);
    }

    [Fact]
    public async Task Servers_are_added_and_removed_at_run_time_and_removal_logs_off()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings());

        await client.AddServerAsync(Definition(server, id: "late"));
        await WaitForStateAsync(client, "late", AmiConnectionState.Connected);
        Assert.True((await client.SendAsync("late", Ping)).IsSuccess);
        await Assert.ThrowsAsync<AmiException>(() => client.AddServerAsync(Definition(server, id: "late")));

        await client.RemoveServerAsync("late");
        await server.WaitForActionAsync("Logoff");
        Assert.Empty(await client.GetServersAsync());
        await Assert.ThrowsAsync<UnknownServerException>(() => client.SendAsync("late", Ping));
    }

    [Fact]
    public async Task A_server_removed_and_added_again_under_the_same_id_gets_the_actions_of_an_existing_client()
    {
        var first = await StartServerAsync();
        var second = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(first)));
        // Several actions, so the client has switched to sending straight to the connection actor it then loses.
        for (int i = 0; i < 5; i++)
        {
            Assert.True((await client.SendAsync("pbx1", Ping)).IsSuccess);
        }

        await client.RemoveServerAsync("pbx1");
        await Assert.ThrowsAsync<UnknownServerException>(() => client.SendAsync("pbx1", Ping).WaitAsync(Long));
        await client.AddServerAsync(Definition(second));
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);

        for (int i = 0; i < 5; i++)
        {
            Assert.True((await client.SendAsync("pbx1", Ping).WaitAsync(Long)).IsSuccess);
        }
        Assert.Equal(5, second.ReceivedActions.Count(a => a.Is("Ping")));
    }

    [Fact]
    public async Task Actions_for_unknown_server_ids_fail_and_leave_no_route_behind()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        Assert.True((await client.SendAsync("pbx1", Ping)).IsSuccess);

        for (int i = 0; i < 500; i++)
        {
            await Assert.ThrowsAsync<UnknownServerException>(() => client.SendAsync("made-up-" + i, Ping));
        }

        Assert.Equal(1, client.RouteCount);
    }

    [Fact]
    public async Task Actions_sent_in_a_burst_reach_the_server_in_call_order_while_the_client_learns_its_route()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        const int count = 2_000;

        // Issued without awaiting, from the first action on: the first ones go through the manager, later ones straight to
        // the connection actor; none may overtake another. Status queries keep the manager's mailbox long meanwhile, so an
        // action sent directly too early would overtake those still queued there.
        using var busy = new CancellationTokenSource();
        var noise = Task.Run(async () =>
        {
            while (!busy.IsCancellationRequested)
            {
                await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.GetServersAsync()));
            }
        });
        var replies = new List<Task<AmiActionResult>>(count);
        for (int i = 0; i < count; i++)
        {
            replies.Add(client.SendAsync("pbx1", new AmiAction("Ping", ("X-Seq", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        }
        await Task.WhenAll(replies).WaitAsync(Long);
        busy.Cancel();
        await noise;

        var order = server.ReceivedActions.Where(a => a.Is("Ping")).Select(a => int.Parse(a.Message["X-Seq"]!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Enumerable.Range(0, count), order);
    }

    [Fact]
    public async Task Coordinated_shutdown_sends_Logoff()
    {
        var server = await StartServerAsync();
        await StartClientAsync(FastSettings(Definition(server)));

        await CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.ClrExitReason.Instance);

        var logoff = await server.WaitForActionAsync("Logoff");
        Assert.NotNull(logoff.ActionId);
    }

    [Fact]
    public async Task Removing_a_server_lets_in_flight_actions_finish_then_logs_off_and_refuses_new_ones()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        server.Faults.ResponseDelay = TimeSpan.FromMilliseconds(400);

        var inFlight = client.SendAsync("pbx1", Ping);
        await server.WaitForActionAsync("Ping");
        var removal = client.RemoveServerAsync("pbx1");

        Assert.True((await inFlight).IsSuccess);
        await removal;
        var actions = server.ReceivedActions.Select(a => a.Name).ToArray();
        Assert.Equal("Logoff", actions[^1]);
        await Assert.ThrowsAsync<UnknownServerException>(() => client.SendAsync("pbx1", Ping));
    }

    [Fact]
    public async Task Byte_by_byte_delivery_loses_nothing()
    {
        var server = await StartServerAsync();
        server.Faults.DeliverByteByByte = true;
        server.AddChannel(new FakeChannel("PJSIP/100-00000001"));
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var result = await client.SendAsync("pbx1", new AmiAction("CoreShowChannels"));

        Assert.Single(result.Events);
        Assert.Equal(1, result.Complete!.ListItems);
    }
}
