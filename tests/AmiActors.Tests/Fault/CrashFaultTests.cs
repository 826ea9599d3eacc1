using Akka.Actor;
using AmiActors.Actors;
using AmiActors.Protocol;
using Xunit.Abstractions;

namespace AmiActors.Tests.Fault;

/// <summary>
/// A bug inside a connection actor (an exception it throws): the manager's strategy restarts it, its askers fail at once, and it
/// reconnects after a backoff that grows with consecutive crashes (PostRestart), on virtual time; the sockets stay real.
/// </summary>
[Trait("Category", "Fault")]
public class CrashFaultTests(ITestOutputHelper output) : FaultTestBase(output, VirtualTime)
{
    private static Task<ConnectionStateChanged> NextStateAsync(Akka.TestKit.TestProbe states, string serverId, AmiConnectionState state) =>
        states.FishForMessageAsync<ConnectionStateChanged>(c => c.ServerId == serverId && c.Current == state, Long).AsTask();

    [Fact]
    public async Task A_crashing_connection_actor_fails_its_askers_at_once_and_reconnects_after_a_backoff_that_grows_with_each_crash()
    {
        var a = await StartServerAsync();
        var b = await StartServerAsync();
        var settings = Fast(Definition(a, "a"), Definition(b, "b")) with
        {
            MinBackoff = TimeSpan.FromSeconds(1),
            MaxBackoff = TimeSpan.FromSeconds(8),
            RandomFactor = 0,
            ResetAfter = TimeSpan.FromMinutes(1),
        };
        var states = StateProbe();
        var client = await StartClientAsync(settings);
        var connection = await Sys.ActorSelection("/user/ami/connection-a-1").ResolveOne(Long);
        var sessionOfB = Assert.Single(b.Sessions);

        // Consecutive crashes (each within reset-after of the last login): 1, 2, 4, 8 s, then capped at 8 s.
        var waits = new[] { 1, 2, 4, 8, 8 };
        for (int i = 0; i < waits.Length; i++)
        {
            a.Faults.StopAnswering();
            var pending = client.SendAsync("a", new AmiAction("Ping"), TimeSpan.FromMinutes(10));
            // This round's unanswered Ping after the answered one of each earlier round.
            await a.WaitForActionCountAsync("Ping", 2 * i + 1, Long);

            connection.Tell(new AmiConnectionActor.InjectFailure("simulated bug"));

            // Without any clock advance: the asker is failed by the restart itself, not by a timeout.
            var error = await Assert.ThrowsAsync<AmiConnectionCrashedException>(() => pending.WaitAsync(Long));
            Assert.Equal("a", error.ServerId);
            Assert.Equal("Ping", error.ActionName);
            Assert.Equal("InvalidOperationException", error.ErrorType);
            var restarted = await NextStateAsync(states, "a", AmiConnectionState.Reconnecting);
            Assert.Contains($"reconnecting in {waits[i] * 1000} ms", restarted.Reason);
            a.Faults.ResumeAnswering();

            Scheduler.Advance(TimeSpan.FromSeconds(waits[i]) - TimeSpan.FromMilliseconds(10));
            await states.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(150));
            Assert.Equal(i + 1, a.ConnectionCount);
            Scheduler.Advance(TimeSpan.FromMilliseconds(10));
            await NextStateAsync(states, "a", AmiConnectionState.Connected);
            Assert.Equal(i + 2, a.ConnectionCount);
            Assert.True((await client.SendAsync("a", new AmiAction("Ping"))).IsSuccess);
        }

        // Connected for reset-after: the crash count is forgotten and the next crash waits the minimum again.
        Scheduler.Advance(settings.ResetAfter);
        // (The stable timer's message is queued by Advance itself, before the failure below.)
        connection.Tell(new AmiConnectionActor.InjectFailure("simulated bug"));
        var again = await NextStateAsync(states, "a", AmiConnectionState.Reconnecting);
        Assert.Contains("reconnecting in 1000 ms", again.Reason);

        // The other server was never touched: same session, no state change, answering.
        Assert.Equal(1, b.ConnectionCount);
        Assert.Same(sessionOfB, Assert.Single(b.Sessions));
        Assert.True((await client.SendAsync("b", new AmiAction("Ping"))).IsSuccess);
        Assert.Equal(AmiConnectionState.Connected, (await StatusAsync(client, "b")).State);
    }

    [Fact]
    public async Task A_crashing_correlation_actor_escalates_so_every_asker_of_that_server_fails_at_once_and_the_connection_restarts()
    {
        var a = await StartServerAsync();
        var b = await StartServerAsync();
        // A list that starts and never completes: its correlation actor waits for the rest.
        a.OnAction("EndlessList", ctx => ctx.Success("Events will follow", ("EventList", "start")));
        var settings = Fast(Definition(a, "a"), Definition(b, "b")) with { MinBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(8), RandomFactor = 0 };
        var states = StateProbe();
        var client = await StartClientAsync(settings);

        var first = client.SendAsync("a", new AmiAction("EndlessList"), TimeSpan.FromMinutes(10));
        var second = client.SendAsync("a", new AmiAction("EndlessList"), TimeSpan.FromMinutes(10));
        await a.WaitForActionCountAsync("EndlessList", 2, Long);
        var probe = CreateTestProbe();
        var correlations = new List<IActorRef>();
        await AwaitAssertAsync(async () =>
        {
            Sys.ActorSelection("/user/ami/connection-a-1/$*").Tell(new Identify(null), probe.Ref);
            var found = await probe.ReceiveWhileAsync<IActorRef?>(TimeSpan.FromMilliseconds(300), m => ((ActorIdentity)m).Subject).ToListAsync();
            correlations = found.OfType<IActorRef>().ToList();
            Assert.Equal(2, correlations.Count);
        }, Long);

        correlations[0].Tell(Kill.Instance);

        // Both askers: the one whose correlation actor failed, and the other one in flight on that connection.
        foreach (var pending in new[] { first, second })
        {
            var error = await Assert.ThrowsAsync<AmiConnectionCrashedException>(() => pending.WaitAsync(Long));
            Assert.Equal("EndlessList", error.ActionName);
            Assert.Equal("ActorKilledException", error.ErrorType);
        }
        var restarted = await NextStateAsync(states, "a", AmiConnectionState.Reconnecting);
        Assert.Contains("reconnecting in 1000 ms", restarted.Reason);

        Scheduler.Advance(TimeSpan.FromSeconds(1));
        await NextStateAsync(states, "a", AmiConnectionState.Connected);
        Assert.True((await client.SendAsync("a", new AmiAction("Ping"))).IsSuccess);
        Assert.Equal(1, b.ConnectionCount);
        Assert.True((await client.SendAsync("b", new AmiAction("Ping"))).IsSuccess);
    }
}
