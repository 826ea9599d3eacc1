using Akka.TestKit;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>Heartbeat and backoff timing on the TestKit's virtual-time scheduler; the sockets are real.</summary>
public class HeartbeatTests(ITestOutputHelper output)
    : RuntimeTestBase(output, "akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    [Fact]
    public async Task A_silent_server_is_detected_within_interval_plus_timeout_and_the_connection_is_replaced()
    {
        var server = await StartServerAsync();
        var settings = FastSettings(Definition(server)) with
        {
            HeartbeatInterval = TimeSpan.FromSeconds(30),
            HeartbeatTimeout = TimeSpan.FromSeconds(10),
        };
        var client = await StartClientAsync(settings);
        var states = CreateTestProbe();
        Sys.EventStream.Subscribe(states.Ref, typeof(ConnectionStateChanged));
        var session = Assert.Single(server.Sessions);

        // Idle for the interval: a Ping goes out.
        Scheduler.Advance(TimeSpan.FromSeconds(30));
        await session.WaitForActionAsync("Ping", timeout: Long);
        // A reply that follows the heartbeat's on the same socket proves the client has handled the heartbeat's reply
        // (and armed the next interval) before the clock moves again.
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Getvar", ("Variable", "AMI_TEST")))).IsSuccess);
        await states.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        // Answered: the connection stays. Next interval, the server has gone silent.
        server.Faults.StopAnswering();
        Scheduler.Advance(TimeSpan.FromSeconds(30));
        await AwaitAssertAsync(() => Assert.Equal(2, session.ReceivedActions.Count(a => a.Is("Ping"))), Long);
        Scheduler.Advance(TimeSpan.FromSeconds(9));
        await states.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Scheduler.Advance(TimeSpan.FromSeconds(1));

        var dead = await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Reconnecting, Long);
        Assert.Contains("heartbeat", dead.Reason);

        server.Faults.ResumeAnswering();
        Scheduler.Advance(TimeSpan.FromSeconds(1)); // past the (jittered) backoff
        await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Connected, Long);
        Assert.Equal(2, server.ConnectionCount);
    }

    [Fact]
    public async Task Reconnect_attempts_back_off_exponentially()
    {
        var server = await StartServerAsync();
        var settings = FastSettings(Definition(server)) with
        {
            MinBackoff = TimeSpan.FromSeconds(1),
            MaxBackoff = TimeSpan.FromSeconds(8),
            RandomFactor = 0,
        };
        var states = CreateTestProbe();
        Sys.EventStream.Subscribe(states.Ref, typeof(ConnectionStateChanged));
        await StartClientAsync(settings);
        server.Faults.RefuseConnections();
        await server.Faults.DropAllSessionsAsync();
        await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Reconnecting, Long);

        // Attempt n waits min * 2^(n-1): 1 s, then 2 s, then 4 s.
        foreach (var wait in new[] { 1, 2, 4 })
        {
            Scheduler.Advance(TimeSpan.FromSeconds(wait) - TimeSpan.FromMilliseconds(10));
            await states.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
            Scheduler.Advance(TimeSpan.FromMilliseconds(10));
            await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Connecting, Long);
            await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Reconnecting, Long);
        }
    }
}
