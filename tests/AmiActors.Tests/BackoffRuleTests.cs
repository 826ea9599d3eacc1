using Akka.TestKit;
using AmiActors.Actors;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>
/// The reconnect rule, on the TestKit's virtual-time scheduler (the sockets are real): the cap holds after jitter, and a
/// session that was logged in comes back after about min-backoff however many failures came before it.
/// </summary>
public class BackoffRuleTests(ITestOutputHelper output)
    : RuntimeTestBase(output, "akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    [Fact]
    public void No_delay_exceeds_max_backoff_after_jitter_and_delays_at_the_cap_still_spread()
    {
        var settings = AmiSettings.Default with { MinBackoff = TimeSpan.FromMilliseconds(500), MaxBackoff = TimeSpan.FromSeconds(30), RandomFactor = 0.2 };
        var backoff = new ReconnectBackoff(settings, new Random(42));
        var atCap = new List<TimeSpan>();
        for (int round = 0; round < 200; round++)
        {
            for (int attempt = 1; attempt <= 40; attempt++)
            {
                var delay = backoff.For(attempt);
                Assert.InRange(delay, settings.MinBackoff, settings.MaxBackoff);
                if (attempt >= 8)
                {
                    atCap.Add(delay);
                }
            }
        }
        Assert.InRange(backoff.For(1), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(600));
        Assert.True(atCap.Min() < TimeSpan.FromSeconds(25.5), $"smallest delay at the cap {atCap.Min()}: the jitter must spread below it");
        Assert.True(atCap.Max() > TimeSpan.FromSeconds(29), $"largest delay at the cap {atCap.Max()}");
    }

    private async Task ExpectAttemptAfterAsync(TestProbe states, TimeSpan earliest, TimeSpan latest)
    {
        Scheduler.Advance(earliest - TimeSpan.FromMilliseconds(5));
        await states.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Scheduler.Advance(latest - earliest + TimeSpan.FromMilliseconds(5));
        await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Connecting, Long);
    }

    [Fact]
    public async Task A_dropped_session_that_lived_less_than_reset_after_comes_back_after_min_backoff_and_a_flapping_one_backs_off()
    {
        var server = await StartServerAsync();
        var settings = FastSettings(Definition(server)) with
        {
            MinBackoff = TimeSpan.FromSeconds(1),
            MaxBackoff = TimeSpan.FromSeconds(30),
            RandomFactor = 0.2,
            ResetAfter = TimeSpan.FromSeconds(60),
        };
        await StartClientAsync(settings);
        var states = CreateTestProbe();
        Sys.EventStream.Subscribe(states.Ref, typeof(ConnectionStateChanged));

        // A session that outlives reset-after is stable. Then the server goes away: attempts after 1, 2, 4 s (each up to 20 % more).
        Scheduler.Advance(TimeSpan.FromSeconds(61));
        server.Faults.RefuseConnections();
        await server.Faults.DropAllSessionsAsync();
        await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Reconnecting, Long);
        foreach (var seconds in new[] { 1, 2 })
        {
            await ExpectAttemptAfterAsync(states, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(seconds * 1.2));
            await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Reconnecting, Long);
        }
        server.Faults.RefuseConnections(false);
        await ExpectAttemptAfterAsync(states, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4.8));
        await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Connected, Long);

        // Logged in for 21 s (less than reset-after), then kicked: back after min-backoff, not after 8 s.
        Scheduler.Advance(TimeSpan.FromSeconds(21));
        await server.Faults.DropAllSessionsAsync();
        await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Reconnecting, Long);
        await EventFilter.Info(contains: "after 1 attempt(s), down for").ExpectOneAsync(Long, async () =>
        {
            await ExpectAttemptAfterAsync(states, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.2));
            await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Connected, Long);
        });

        // Kicked again 5 s later: two short sessions in a row, so the next wait doubles.
        Scheduler.Advance(TimeSpan.FromSeconds(5));
        await server.Faults.DropAllSessionsAsync();
        await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Reconnecting, Long);
        await ExpectAttemptAfterAsync(states, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.4));
        await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Connected, Long);

        // A session that lasts reset-after clears the history: the next drop comes back after min-backoff again.
        Scheduler.Advance(TimeSpan.FromSeconds(61));
        await server.Faults.DropAllSessionsAsync();
        await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.Reconnecting, Long);
        await ExpectAttemptAfterAsync(states, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.2));
    }

    [Fact]
    public async Task Each_login_is_logged_with_the_server_the_endpoint_and_the_AMI_version()
    {
        var server = await StartServerAsync();
        await EventFilter.Info(contains: $"AMI server 'pbx1': logged in to 127.0.0.1:{server.Port} as 'admin' (AMI ").ExpectOneAsync(Long, async () =>
            await StartClientAsync(FastSettings(Definition(server))));
    }
}
