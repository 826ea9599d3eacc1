using AmiActors.Protocol;
using Xunit.Abstractions;

namespace AmiActors.Tests.Fault;

/// <summary>
/// Faults whose handling is a matter of time (heartbeat, backoff, authentication-failure backoff), on the TestKit's virtual-time
/// scheduler: every timer of the client moves only when the test advances the clock, the sockets stay real.
/// </summary>
[Trait("Category", "Fault")]
public class TimingFaultTests(ITestOutputHelper output) : FaultTestBase(output, VirtualTime)
{
    [Fact]
    public async Task A_silent_but_connected_server_is_declared_dead_after_interval_plus_timeout_and_replaced()
    {
        var server = await StartServerAsync();
        var settings = Fast(Definition(server)) with
        {
            HeartbeatInterval = TimeSpan.FromSeconds(30),
            HeartbeatTimeout = TimeSpan.FromSeconds(10),
        };
        var states = StateProbe();
        var client = await StartClientAsync(settings);
        var session = Assert.Single(server.Sessions);
        await NextStateAsync(states, AmiConnectionState.Connected);

        // The server keeps the socket open and reads, but answers nothing: an action waits, with a timeout far away.
        server.Faults.StopAnswering();
        var pending = client.SendAsync("pbx1", new AmiAction("Ping"), TimeSpan.FromMinutes(10));
        await session.WaitForActionAsync("Ping", timeout: Long);

        Scheduler.Advance(TimeSpan.FromSeconds(29));
        await states.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Single(session.ReceivedActions, a => a.Is("Ping"));

        Scheduler.Advance(TimeSpan.FromSeconds(1));
        await AwaitAssertAsync(() => Assert.Equal(2, session.ReceivedActions.Count(a => a.Is("Ping"))), Long);

        Scheduler.Advance(TimeSpan.FromSeconds(9.9));
        await states.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.False(pending.IsCompleted);
        Assert.Equal(AmiConnectionState.Connected, (await StatusAsync(client)).State);

        Scheduler.Advance(TimeSpan.FromSeconds(0.1));
        var dead = await NextStateAsync(states, AmiConnectionState.Reconnecting);
        Assert.Contains("heartbeat", dead.Reason);
        // Not reported as connected any more, and the waiting action is released at once, long before its own timeout.
        Assert.Equal(AmiConnectionState.Reconnecting, (await StatusAsync(client)).State);
        var lost = await Assert.ThrowsAsync<AmiConnectionLostException>(() => pending.WaitAsync(Long));
        Assert.Contains("heartbeat", lost.Reason);

        server.Faults.ResumeAnswering();
        Scheduler.Advance(TimeSpan.FromSeconds(1));
        await NextStateAsync(states, AmiConnectionState.Connected);
        Assert.Equal(2, server.ConnectionCount);
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
    }

    [Fact]
    public async Task Wrong_credentials_are_retried_at_most_once_per_authentication_failure_backoff()
    {
        const string secret = "Wr0ng-S3cret-Value";
        var server = await StartServerAsync();
        var settings = Fast(Definition(server, secret: secret)) with { AuthenticationFailureBackoff = TimeSpan.FromSeconds(30) };
        var states = StateProbe();
        var client = await StartClientAsync(settings, waitConnected: false);

        var failed = await NextStateAsync(states, AmiConnectionState.AuthenticationFailed);
        Assert.DoesNotContain(secret, failed.Reason);
        Assert.Equal(1, server.ConnectionCount);
        var refused = await Assert.ThrowsAsync<AmiAuthenticationException>(() => client.SendAsync("pbx1", new AmiAction("Ping")).WaitAsync(Long));
        Assert.DoesNotContain(secret, refused.Message);

        // A 5-minute window of virtual time: exactly one new attempt per 30 s, none earlier.
        for (int attempt = 2; attempt <= 11; attempt++)
        {
            Scheduler.Advance(TimeSpan.FromSeconds(29.9));
            await states.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(150));
            Assert.Equal(attempt - 1, server.ConnectionCount);

            Scheduler.Advance(TimeSpan.FromSeconds(0.1));
            await NextStateAsync(states, AmiConnectionState.AuthenticationFailed);
            Assert.Equal(attempt, server.ConnectionCount);
        }
        Assert.Equal(11, server.ReceivedActions.Count(a => a.Is("Login")));
        Assert.Equal(AmiConnectionState.AuthenticationFailed, (await StatusAsync(client)).State);
    }

    [Fact]
    public async Task A_server_that_closes_before_the_banner_is_retried_with_the_normal_backoff_and_never_given_up()
    {
        var server = await StartServerAsync();
        server.Faults.RefuseConnections();
        var settings = Fast(Definition(server)) with
        {
            MinBackoff = TimeSpan.FromSeconds(1),
            MaxBackoff = TimeSpan.FromSeconds(4),
            RandomFactor = 0,
            AuthenticationFailureBackoff = TimeSpan.FromMinutes(5),
        };
        var states = StateProbe();
        await StartClientAsync(settings, waitConnected: false);
        var first = await NextStateAsync(states, AmiConnectionState.Reconnecting);
        Assert.NotEqual(AmiConnectionState.AuthenticationFailed, first.Previous);

        // Backoff 1, 2, 4, then capped at 4 s: each refusal costs one attempt, never more, and never a give-up.
        var waits = new[] { 1, 2, 4, 4, 4, 4 };
        for (int i = 0; i < waits.Length; i++)
        {
            Scheduler.Advance(TimeSpan.FromSeconds(waits[i]) - TimeSpan.FromMilliseconds(10));
            await states.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(150));
            Assert.Equal(i + 1, server.ConnectionCount);
            Scheduler.Advance(TimeSpan.FromMilliseconds(10));
            await NextStateAsync(states, AmiConnectionState.Connecting);
            var again = await NextStateAsync(states, AmiConnectionState.Reconnecting);
            Assert.DoesNotContain("giving up", again.Reason);
        }

        server.Faults.RefuseConnections(false);
        Scheduler.Advance(TimeSpan.FromSeconds(4));
        await NextStateAsync(states, AmiConnectionState.Connected);
        Assert.Equal(waits.Length + 2, server.ConnectionCount);
        Assert.Equal(1, server.ReceivedActions.Count(a => a.Is("Login")));
    }
}
