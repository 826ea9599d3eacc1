using Akka.Actor;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests;

public class ResilienceTests(ITestOutputHelper output) : RuntimeTestBase(output)
{
    [Fact]
    public async Task The_connection_is_reestablished_after_the_server_drops_the_session_and_events_flow_again()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        var probe = CreateTestProbe();
        await client.SubscribeAsync(probe.Ref, "pbx1", "UserEvent");

        await server.Faults.DropAllSessionsAsync();
        await server.WaitForLoginsAsync(1, Long);
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);
        await AwaitAssertAsync(() => Assert.Equal(2, server.ConnectionCount), Long);

        await server.EmitEventAsync(("Event", "UserEvent"), ("UserEvent", "again"));
        var e = await probe.FishForMessageAsync<AmiEventReceived>(e => e.Event.Get("UserEvent") == "again", Long);
        Assert.Equal("pbx1", e.ServerId);
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
    }

    [Fact]
    public async Task In_flight_actions_fail_at_once_with_connection_lost_when_the_connection_drops()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        server.Faults.StopAnswering();

        var pending = Enumerable.Range(0, 5).Select(_ => client.SendAsync("pbx1", new AmiAction("Ping"), TimeSpan.FromSeconds(60))).ToArray();
        await server.WaitForActionCountAsync("Ping", 5, Long);
        await server.Faults.DropAllSessionsAsync();

        foreach (var task in pending)
        {
            var error = await Assert.ThrowsAsync<AmiConnectionLostException>(() => task.WaitAsync(Long));
            Assert.Equal("pbx1", error.ServerId);
        }
    }

    [Fact]
    public async Task Past_max_in_flight_new_actions_are_rejected_at_once()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)) with { MaxInFlight = 2 });
        server.Faults.StopAnswering();

        var first = client.SendAsync("pbx1", new AmiAction("Ping"), TimeSpan.FromSeconds(5));
        var second = client.SendAsync("pbx1", new AmiAction("Ping"), TimeSpan.FromSeconds(5));
        var error = await Assert.ThrowsAsync<AmiBackpressureException>(() => client.SendAsync("pbx1", new AmiAction("Ping")));

        Assert.Equal("max-in-flight", error.LimitName);
        Assert.False(first.IsCompleted || second.IsCompleted);
    }

    [Fact]
    public async Task Actions_sent_while_disconnected_are_buffered_sent_after_login_and_a_full_buffer_rejects()
    {
        var server = await StartServerAsync();
        server.Faults.RefuseConnections();
        var client = await StartClientAsync(FastSettings(Definition(server)) with { DisconnectedBufferSize = 2 }, waitConnected: false);

        var first = client.SendAsync("pbx1", new AmiAction("Ping"), TimeSpan.FromSeconds(15));
        var second = client.SendAsync("pbx1", new AmiAction("Ping"), TimeSpan.FromSeconds(15));
        var error = await Assert.ThrowsAsync<AmiBackpressureException>(() => client.SendAsync("pbx1", new AmiAction("Ping")));
        Assert.Equal("disconnected-buffer", error.LimitName);

        server.Faults.RefuseConnections(false);
        Assert.True((await first).IsSuccess);
        Assert.True((await second).IsSuccess);
    }

    [Fact]
    public async Task Buffered_actions_honour_their_timeout_and_fail_fast_mode_rejects_at_once()
    {
        var server = await StartServerAsync();
        server.Faults.RefuseConnections();
        var client = await StartClientAsync(FastSettings(Definition(server, "buffering")), waitConnected: false);

        var timeout = await Assert.ThrowsAsync<AmiActionTimeoutException>(() => client.SendAsync("buffering", new AmiAction("Ping"), TimeSpan.FromMilliseconds(300)));
        Assert.Contains("buffered", timeout.Stage);

        var failFast = AmiClient.Start(Sys, FastSettings(Definition(server, "other")) with { WhenDisconnected = AmiDisconnectedPolicy.Fail }, "ami-failfast");
        await Assert.ThrowsAsync<AmiNotConnectedException>(() => failFast.SendAsync("other", new AmiAction("Ping")));
    }

    [Fact]
    public async Task A_server_that_closes_before_the_banner_is_retried()
    {
        var server = await StartServerAsync();
        server.Faults.CloseBeforeBanner(2);
        var client = await StartClientAsync(FastSettings(Definition(server)));

        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
        Assert.Equal(3, server.ConnectionCount);
    }

    [Fact]
    public async Task An_oversize_frame_resets_the_connection_which_recovers()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)) with { MaxFrameSize = 64 * 1024 });
        var states = CreateTestProbe();
        await client.SubscribeConnectionStateAsync(states.Ref);

        await server.Faults.SendOversizeFrameAsync(200 * 1024);

        var lost = await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Reconnecting, Long);
        Assert.Contains("FrameTooLarge", lost.Reason);
        await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Connected, Long);
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
    }

    [Fact]
    public async Task A_crash_inside_the_connection_actor_fails_its_askers_and_restarts_it_alone()
    {
        var a = await StartServerAsync();
        var b = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(a, "a"), Definition(b, "b")));
        a.Faults.StopAnswering();
        var pending = client.SendAsync("a", new AmiAction("Ping"), TimeSpan.FromSeconds(30));
        await a.WaitForActionAsync("Ping", timeout: Long);

        var connection = await Sys.ActorSelection("/user/ami/connection-a-1").ResolveOne(Long);
        connection.Tell(new AmiActors.Actors.AmiConnectionActor.InjectFailure("simulated bug"));

        var crashed = await Assert.ThrowsAsync<AmiConnectionCrashedException>(() => pending.WaitAsync(Long));
        Assert.Equal("InvalidOperationException", crashed.ErrorType);
        Assert.DoesNotContain("simulated bug", crashed.Message);
        a.Faults.ResumeAnswering();
        await WaitForStateAsync(client, "a", AmiConnectionState.Connected);
        Assert.True((await client.SendAsync("a", new AmiAction("Ping"))).IsSuccess);
        Assert.True((await client.SendAsync("b", new AmiAction("Ping"))).IsSuccess);
        Assert.Equal(1, b.ConnectionCount);
    }

    [Fact]
    public async Task ActionIDs_carry_the_connection_incarnation_so_replies_never_cross_reconnects()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        var before = await client.SendAsync("pbx1", new AmiAction("Ping"));

        await server.Faults.DropAllSessionsAsync();
        await AwaitAssertAsync(() => Assert.Equal(2, server.ConnectionCount), Long);
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);
        var after = await client.SendAsync("pbx1", new AmiAction("Ping"));

        Assert.NotEqual(before.ActionId.Split('.')[0], after.ActionId.Split('.')[0]);
        Assert.Equal(before.ActionId.Split('.')[1], after.ActionId.Split('.')[1]);
    }

    [Fact]
    public async Task With_max_attempts_the_connection_gives_up_and_says_so()
    {
        var server = await StartServerAsync();
        server.Faults.RefuseConnections();
        var states = CreateTestProbe();
        Sys.EventStream.Subscribe(states.Ref, typeof(ConnectionStateChanged));
        var client = await StartClientAsync(FastSettings(Definition(server)) with { MaxAttempts = 2 }, waitConnected: false);

        var stopped = await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Stopped, Long);
        Assert.Contains("giving up after 2", stopped.Reason);
        await Assert.ThrowsAsync<AmiNotConnectedException>(() => client.SendAsync("pbx1", new AmiAction("Ping")));
    }

    [Fact]
    public async Task A_full_outbound_queue_rejects_new_actions_with_a_specific_error()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)) with { MaxOutboundQueueBytes = 1024 });
        var big = new AmiAction("UserEvent", ("UserEvent", "big"), ("Data", new string('x', 600)));

        // A burst: while the first write awaits its ack, the rest queue up behind it and overflow 1 KiB.
        var probe = CreateTestProbe();
        for (int i = 0; i < 20; i++)
        {
            client.Manager.Tell(new AmiManager.SendAction("pbx1", big), probe.Ref);
        }
        var replies = new List<object>();
        for (int i = 0; i < 20; i++)
        {
            replies.Add(await probe.ExpectMsgAsync<object>(Long));
        }

        var rejected = replies.OfType<Status.Failure>().Select(f => Assert.IsType<AmiBackpressureException>(f.Cause)).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(rejected, e => Assert.Equal("outbound-queue", e.LimitName));
        Assert.All(replies.OfType<AmiActionResult>(), r => Assert.True(r.IsSuccess));
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
    }
}
