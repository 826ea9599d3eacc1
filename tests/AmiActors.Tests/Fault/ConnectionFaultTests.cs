using System.Text;
using Akka.TestKit;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests.Fault;

/// <summary>The server or the network misbehaves mid-session: cut frames, garbage, oversize frames, restarts.</summary>
[Trait("Category", "Fault")]
public class ConnectionFaultTests(ITestOutputHelper output) : FaultTestBase(output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_frame_cut_by_the_server_closing_is_never_delivered_and_the_next_session_starts_clean(bool tls)
    {
        var (server, client, events, session) = await ConnectedWithUserEventProbeAsync(tls);

        await session.SendRawAsync(UserEvent("whole", 1));
        await session.SendRawAsync("Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: cut\r\nSeq: 2\r\nData: half of a val"u8.ToArray());
        await session.CloseAsync();

        var first = await events.ExpectMsgAsync<AmiEventReceived>(Long);
        Assert.Equal("whole", first.Event.Get("UserEvent"));
        await server.WaitUntilAsync(() => server.ConnectionCount >= 2 && server.Sessions.Any(s => s.IsAuthenticated), Long);
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);

        await server.EmitRawAsync(UserEvent("after", 3));
        // The very next event is the new session's: the cut frame's bytes were not glued onto it.
        var next = await events.ExpectMsgAsync<AmiEventReceived>(Long);
        Assert.Equal("after", next.Event.Get("UserEvent"));
        Assert.Equal("3", next.Event.Get("Seq"));
        Assert.Null(next.Event.Get("Data"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_response_cut_by_the_server_closing_fails_its_action_at_once_with_connection_lost(bool tls)
    {
        var server = await StartServerAsync(tls ? new FakeAsteriskOptions { UseTls = true } : null);
        server.OnAction("Cut", async ctx =>
        {
            await ctx.SendRawAsync(Encoding.ASCII.GetBytes($"Response: Success\r\nActionID: {ctx.ActionId}\r\nMessage: half of a resp"));
            ctx.CloseAfterReply();
            return null;
        });
        var client = await StartClientAsync(Fast(Definition(server)));

        // The action's own timeout is a minute: it must fail because the connection died, not wait for the timeout.
        var error = await Assert.ThrowsAsync<AmiConnectionLostException>(() => client.SendAsync("pbx1", new AmiAction("Cut"), TimeSpan.FromMinutes(1)).WaitAsync(Long));
        Assert.Equal("Cut", error.ActionName);

        await server.WaitUntilAsync(() => server.ConnectionCount >= 2 && server.Sessions.Any(s => s.IsAuthenticated), Long);
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
    }

    [Fact]
    public async Task Garbage_bytes_between_frames_neither_crash_the_client_nor_lose_the_frames_around_them()
    {
        var (server, client, events, session) = await ConnectedWithUserEventProbeAsync();

        await session.SendRawAsync(UserEvent("before", 1));
        await server.Faults.SendGarbageAsync(session);
        await session.SendRawAsync(UserEvent("after", 2));

        Assert.Equal("before", (await events.ExpectMsgAsync<AmiEventReceived>(Long)).Event.Get("UserEvent"));
        Assert.Equal("after", (await events.ExpectMsgAsync<AmiEventReceived>(Long)).Event.Get("UserEvent"));
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task An_oversize_frame_resets_the_connection_logs_an_error_fails_in_flight_actions_and_reconnects()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(Fast(Definition(server)) with { MaxFrameSize = 64 * 1024 });
        var states = StateProbe();
        server.OnAction("Never", _ => null);
        var pending = client.SendAsync("pbx1", new AmiAction("Never"), TimeSpan.FromMinutes(1));
        await server.WaitForActionAsync("Never", timeout: Long);

        await EventFilter.Error(contains: "FrameTooLarge").ExpectOneAsync(Long, async () => await server.Faults.SendOversizeFrameAsync(300 * 1024));

        var lost = await NextStateAsync(states, AmiConnectionState.Reconnecting);
        Assert.Contains("FrameTooLarge", lost.Reason);
        await Assert.ThrowsAsync<AmiConnectionLostException>(() => pending.WaitAsync(Long));
        await NextStateAsync(states, AmiConnectionState.Connected);
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
    }

    [Fact]
    public async Task An_endless_line_without_a_line_end_is_cut_off_at_the_frame_cap_not_buffered_forever()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(Fast(Definition(server)) with { MaxFrameSize = 64 * 1024 });
        var states = StateProbe();
        var session = Assert.Single(server.Sessions);

        // 1 MiB of one header value and never a CR or LF: the cap must trip without waiting for a line end.
        var endless = new byte[1024 * 1024];
        "Event: Endless\r\nData: "u8.CopyTo(endless);
        endless.AsSpan(23).Fill((byte)'x');
        await session.SendRawAsync(endless);

        var lost = await NextStateAsync(states, AmiConnectionState.Reconnecting);
        Assert.Contains("FrameTooLarge", lost.Reason);
        await NextStateAsync(states, AmiConnectionState.Connected);
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
    }

    [Fact]
    public async Task After_the_server_restarts_on_the_same_port_the_client_logs_in_again_and_events_flow()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(Fast());
        var events = CreateTestProbe();
        await client.SubscribeAsync(events.Ref, "pbx1", "UserEvent", "Shutdown");
        var states = StateProbe();
        await client.AddServerAsync(Definition(server));
        await NextStateAsync(states, AmiConnectionState.Connected);
        int port = server.Port;

        await server.RestartAsync(TimeSpan.FromMilliseconds(700));

        var shutdown = await events.ExpectMsgAsync<AmiEventReceived>(Long);
        Assert.Equal("Shutdown", shutdown.EventName);
        Assert.Equal("True", shutdown.Event.Get("Restart"));
        await NextStateAsync(states, AmiConnectionState.Reconnecting);
        await NextStateAsync(states, AmiConnectionState.Connected);
        Assert.Equal(port, server.Port);
        Assert.Equal(AmiConnectionState.Connected, (await StatusAsync(client)).State);
        await server.WaitForLoginsAsync(1, Long);

        await server.EmitRawAsync(UserEvent("after-restart", 1));
        Assert.Equal("after-restart", (await events.ExpectMsgAsync<AmiEventReceived>(Long)).Event.Get("UserEvent"));
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
    }

    [Fact]
    public async Task Bytes_that_arrive_in_the_same_read_as_the_banner_are_not_lost()
    {
        var server = await StartServerAsync();
        server.Faults.BytesAfterBanner = Enumerable.Range(1, 50).SelectMany(i => UserEvent("with-banner", i)).ToArray();
        var client = await StartClientAsync(Fast());
        var events = CreateTestProbe();
        await client.SubscribeAsync(events.Ref, "pbx1", "UserEvent");
        await client.AddServerAsync(Definition(server));

        for (int i = 1; i <= 50; i++)
        {
            var e = await events.ExpectMsgAsync<AmiEventReceived>(Long);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Event.Get("Seq"));
        }
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
    }

    // A logged-in client with a probe subscribed to UserEvent, and the server's only session.
    private async Task<(FakeAsteriskServer Server, AmiClient Client, TestProbe Events, FakeAmiSession Session)> ConnectedWithUserEventProbeAsync(bool tls = false)
    {
        var server = await StartServerAsync(tls ? new FakeAsteriskOptions { UseTls = true } : null);
        var client = await StartClientAsync(Fast());
        var events = CreateTestProbe();
        await client.SubscribeAsync(events.Ref, "pbx1", "UserEvent");
        await client.AddServerAsync(Definition(server));
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);
        return (server, client, events, Assert.Single(server.Sessions));
    }
}
