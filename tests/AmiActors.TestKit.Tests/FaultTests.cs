using System.Net.Sockets;
using AmiActors.Protocol;

namespace AmiActors.TestKit.Tests;

public class FaultTests
{
    private static readonly FakeAsteriskOptions Fast = new() { FailedLoginDelay = TimeSpan.FromMilliseconds(50) };

    [Fact]
    public async Task A_second_server_on_a_port_in_use_fails_to_start_instead_of_sharing_its_connections()
    {
        await using var first = await FakeAsteriskServer.StartAsync(Fast);
        var error = await Assert.ThrowsAsync<SocketException>(() => FakeAsteriskServer.StartAsync(Fast with { Port = first.Port }));
        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_stopped_server_starts_again_on_the_same_port_while_its_old_connections_close()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        int port = server.Port;
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync();
        await server.StopAsync();
        await server.StartAgainAsync();
        Assert.Equal(port, server.Port);
        await using var again = await RawAmiClient.ConnectAsync(server.EndPoint);
        await again.LoginAsync();
    }

    [Fact]
    public async Task Aborting_a_session_resets_the_connection()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.EndPoint);
        var session = (await server.WaitForSessionsAsync(1)).Single();
        var stream = tcp.GetStream();
        var buffer = new byte[256];
        Assert.True(await stream.ReadAsync(buffer) > 0); // the banner
        await server.Faults.DropSessionAsync(session, graceful: false);
        var ex = await Assert.ThrowsAnyAsync<IOException>(async () => await stream.ReadAsync(buffer).AsTask().WaitAsync(RawAmiClient.Timeout));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(ex.InnerException).SocketErrorCode);
        Assert.False(session.IsConnected);
        Assert.Empty(server.Sessions);
    }

    [Fact]
    public async Task Closing_a_session_gracefully_delivers_what_was_queued_then_FIN()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync();
        var session = (await server.WaitForLoginsAsync(1)).Single();
        await session.SendEventAsync(("Event", "Last"), ("Privilege", "system,all"));
        await server.Faults.DropSessionAsync(session, graceful: true);
        var frames = await client.WaitForCloseAsync();
        Assert.Equal("Last", frames[^1].EventName);
    }

    [Fact]
    public async Task A_silenced_session_stays_connected_records_actions_and_answers_nothing_until_resumed()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync();
        var session = (await server.WaitForLoginsAsync(1)).Single();
        session.StopAnswering();
        await client.SendAsync("Action: Ping\r\nActionID: lost\r\n\r\n");
        await server.WaitForActionAsync("Ping", m => m.ActionId == "lost");
        Assert.Equal(0, await server.EmitEventAsync(("Event", "Hangup"), ("Privilege", "call,all")));
        int before = client.Frames.Count;
        session.ResumeAnswering();
        await client.SendAsync("Action: Ping\r\nActionID: after\r\n\r\n");
        await client.WaitForFrameAsync(f => f.ActionId == "after", "the ping after resuming");
        Assert.DoesNotContain(client.Frames, f => f.ActionId == "lost");
        Assert.Equal(before + 1, client.Frames.Count);
        Assert.True(session.IsConnected);
    }

    [Fact]
    public async Task The_server_wide_silence_applies_to_new_sessions_too()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        server.Faults.StopAnswering();
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.WaitForFramesAsync(1);
        await client.SendAsync("Action: Login\r\nActionID: l\r\nUsername: admin\r\nSecret: amp111\r\n\r\n");
        await server.WaitForActionAsync("Login");
        server.Faults.ResumeAnswering();
        await client.SendAsync("Action: Ping\r\nActionID: p\r\n\r\n");
        var reply = await client.WaitForFrameAsync(f => f.ActionId == "p", "ping");
        Assert.Equal("Permission denied", reply.ResponseMessage); // the unanswered Login did not run either
    }

    [Fact]
    public async Task Byte_by_byte_delivery_still_parses_to_the_same_frames()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        server.Faults.DeliverByteByByte = true;
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync();
        await client.SendAsync("Action: Ping\r\nActionID: p\r\n\r\n");
        await client.WaitForFrameAsync(f => f.ActionId == "p", "ping");
        Assert.Equal(["Asterisk Call Manager/11.0.0", "Success", "FullyBooted", "SuccessfulAuth", "Success"],
            client.Frames.Select(f => f.BannerText ?? f.EventName ?? f.ResponseStatus));
    }

    [Fact]
    public async Task Response_delay_holds_responses_but_not_the_connection()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        var session = (await server.WaitForLoginsAsync(1)).Single();
        session.ResponseDelay = TimeSpan.FromMilliseconds(300);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await client.SendAsync("Action: Ping\r\nActionID: slow\r\n\r\n");
        await client.WaitForFrameAsync(f => f.ActionId == "slow", "the delayed ping");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(280), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task Garbage_and_oversize_frames_are_written_as_asked()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        var session = (await server.WaitForLoginsAsync(1)).Single();
        Assert.Equal(1, await server.Faults.SendGarbageAsync(session, "no colon here\r\n\r\n"u8.ToArray()));
        Assert.Equal(1, await server.Faults.SendOversizeFrameAsync(200_000, session));
        await session.SendEventAsync(("Event", "After"));
        await client.WaitForFrameAsync(f => f.EventName == "After", "the event after the oversize frame");
        var big = client.Frames.Single(f => f.EventName == "Oversize");
        Assert.True(big.ByteSize >= 199_000);
        Assert.Contains(client.Frames, f => f.Count == 1 && f.NameAt(0) == "" && f.ValueAt(0) == "no colon here");
    }

    [Fact]
    public async Task Connections_can_be_closed_before_the_banner_like_authlimit()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        server.Faults.CloseBeforeBanner(1);
        await using (var refused = await RawAmiClient.ConnectAsync(server.EndPoint))
        {
            Assert.Empty(await refused.WaitForCloseAsync());
        }
        await using var accepted = await RawAmiClient.ConnectAsync(server.EndPoint);
        await accepted.WaitForFramesAsync(1);
        Assert.Equal(2, server.ConnectionCount);
    }

    [Fact]
    public async Task The_authlimit_closes_connections_past_the_limit_before_the_banner()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast with { AuthLimit = 1 });
        await using var first = await RawAmiClient.ConnectAsync(server.EndPoint);
        await first.WaitForFramesAsync(1);
        await using var second = await RawAmiClient.ConnectAsync(server.EndPoint);
        Assert.Empty(await second.WaitForCloseAsync());
    }

    [Fact]
    public async Task An_unauthenticated_session_is_closed_after_the_auth_timeout()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast with { AuthTimeout = TimeSpan.FromMilliseconds(200) });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        var frames = await client.WaitForCloseAsync();
        Assert.Equal(AmiMessageKind.Banner, Assert.Single(frames).Kind);
    }

    [Fact]
    public async Task Restart_sends_Shutdown_closes_sessions_and_listens_again_on_the_same_port()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        int port = server.Port;
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync();
        await server.RestartAsync(TimeSpan.FromMilliseconds(50));
        var frames = await client.WaitForCloseAsync();
        var shutdown = frames.Single(f => f.EventName == "Shutdown");
        Assert.Equal("True", shutdown["Restart"]);
        Assert.Equal(port, server.Port);
        await using var again = await RawAmiClient.ConnectAsync(server.EndPoint);
        await again.LoginAsync();
        Assert.True(server.IsRunning);
    }

    [Fact]
    public async Task A_stopped_server_refuses_connections_until_started_again()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast);
        await server.StopAsync();
        Assert.False(server.IsRunning);
        await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(server.EndPoint);
        });
        await server.StartAgainAsync();
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.WaitForFramesAsync(1);
    }

    [Fact]
    public async Task Disposing_the_server_closes_every_session()
    {
        var server = await FakeAsteriskServer.StartAsync(Fast);
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync();
        var session = (await server.WaitForLoginsAsync(1)).Single();
        await server.DisposeAsync();
        await client.WaitForCloseAsync();
        Assert.True(session.Completion.IsCompleted);
        Assert.False(server.IsRunning);
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_dropped_after_the_write_timeout()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast with { WriteTimeout = TimeSpan.FromMilliseconds(200) });
        using var tcp = new TcpClient { ReceiveBufferSize = 64 * 1024 };
        await tcp.ConnectAsync(server.EndPoint);
        await tcp.GetStream().WriteAsync("Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nEvents: off\r\n\r\n"u8.ToArray());
        var session = (await server.WaitForLoginsAsync(1)).Single();
        for (int i = 0; i < 256 && session.IsConnected; i++)
        {
            await server.Faults.SendOversizeFrameAsync(1024 * 1024, session);
        }
        await session.Completion.WaitAsync(RawAmiClient.Timeout);
        Assert.Empty(server.Sessions);
    }

    [Fact]
    public async Task Only_the_configured_number_of_received_actions_is_kept()
    {
        await using var server = await FakeAsteriskServer.StartAsync(Fast with { MaxRecordedActions = 3 });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync(string.Concat(Enumerable.Range(1, 5).Select(i => $"Action: Ping\r\nActionID: p{i}\r\n\r\n")));
        await client.WaitForFrameAsync(f => f.ActionId == "p5", "the last ping");
        Assert.Equal(["p3", "p4", "p5"], server.ReceivedActions.Select(a => a.ActionId));
        Assert.Equal(["p3", "p4", "p5"], server.Sessions.Single().ReceivedActions.Select(a => a.ActionId));
        Assert.Equal(6, server.ReceivedActions[^1].Sequence);
    }
}
