using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests.Fault;

/// <summary>Actions caught by a disconnect or a shutdown: every one completes, none hangs, none gets another action's reply.</summary>
[Trait("Category", "Fault")]
public class InFlightFaultTests(ITestOutputHelper output) : FaultTestBase(output)
{
    private enum Outcome { Reply, Lost }

    private static readonly TimeSpan ActionTimeout = TimeSpan.FromSeconds(15);

    // Answers with the request's own Payload: a reply routed to the wrong request shows at once.
    private static IDisposable EchoHandler(FakeAsteriskServer server) =>
        server.OnAction("Echo", ctx => ctx.Success(null, ("Echo", ctx.Header("Payload") ?? "")));

    private static async Task<Outcome> EchoAsync(AmiClient client, string payload)
    {
        try
        {
            var result = await client.SendRawAsync("pbx1", new AmiAction("Echo", ("Payload", payload)), ActionTimeout);
            Assert.Equal(payload, result.Response.Get("Echo"));
            Assert.Equal(result.ActionId, result.Response.ActionId);
            return Outcome.Reply;
        }
        catch (AmiConnectionLostException)
        {
            return Outcome.Lost;
        }
    }

    [Fact]
    public async Task A_thousand_actions_in_flight_across_a_forced_disconnect_all_complete_and_none_is_misrouted()
    {
        var server = await StartServerAsync();
        using var echo = EchoHandler(server);
        // Slow the server down so the disconnect lands while most actions are still waiting.
        server.Faults.ResponseDelay = TimeSpan.FromMilliseconds(2);
        var client = await StartClientAsync(Fast(Definition(server)));

        var tasks = Enumerable.Range(0, 1000).Select(i => EchoAsync(client, "first-" + i.ToString(CultureInfo.InvariantCulture))).ToArray();
        await server.WaitForActionCountAsync("Echo", 100, Long);
        await server.Faults.DropAllSessionsAsync();

        // None may hang: all finish within their own timeout (plus slack for a loaded machine).
        var outcomes = await Task.WhenAll(tasks).WaitAsync(ActionTimeout + TimeSpan.FromSeconds(10));
        Assert.Contains(Outcome.Reply, outcomes);
        Assert.Contains(Outcome.Lost, outcomes);

        // After the reconnect another thousand all get their own replies: no stale reply from the old connection leaks in.
        server.Faults.ResponseDelay = TimeSpan.Zero;
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);
        var again = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => EchoAsync(client, "second-" + i.ToString(CultureInfo.InvariantCulture))))
            .WaitAsync(ActionTimeout + TimeSpan.FromSeconds(10));
        Assert.All(again, o => Assert.Equal(Outcome.Reply, o));
    }

    [Fact]
    public async Task Actions_sent_while_the_connection_is_down_are_sent_after_login_and_answered_by_their_own_replies()
    {
        var server = await StartServerAsync();
        using var echo = EchoHandler(server);
        var client = await StartClientAsync(Fast(Definition(server)));
        server.Faults.RefuseConnections();
        await server.Faults.DropAllSessionsAsync();
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Reconnecting);

        var tasks = Enumerable.Range(0, 500).Select(i => EchoAsync(client, "buffered-" + i.ToString(CultureInfo.InvariantCulture))).ToArray();
        server.Faults.RefuseConnections(false);

        var outcomes = await Task.WhenAll(tasks).WaitAsync(ActionTimeout + TimeSpan.FromSeconds(10));
        Assert.All(outcomes, o => Assert.Equal(Outcome.Reply, o));
    }

    [Fact]
    public async Task Coordinated_shutdown_lets_in_flight_actions_finish_then_logs_off_and_closes()
    {
        var server = await StartServerAsync();
        server.OnAction("Slow", async ctx =>
        {
            await Task.Delay(200, ctx.CancellationToken);
            return ctx.Success(null, ("Echo", ctx.Header("Payload") ?? ""));
        });
        using var system = ActorSystem.Create("shutdown-drain", ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.log-dead-letters = off"));
        var client = AmiClient.Start(system, Fast(Definition(server)) with { DrainTimeout = TimeSpan.FromSeconds(10) });
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);

        var slow = Enumerable.Range(0, 5).Select(i => client.SendAsync("pbx1", new AmiAction("Slow", ("Payload", "s" + i)), TimeSpan.FromSeconds(30))).ToArray();
        await server.WaitForActionAsync("Slow", timeout: Long);
        var shutdown = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.UnknownReason.Instance);

        for (int i = 0; i < slow.Length; i++)
        {
            Assert.Equal("s" + i, (await slow[i].WaitAsync(Long)).Response.Get("Echo"));
        }
        await shutdown.WaitAsync(Long);
        var logoff = await server.WaitForActionAsync("Logoff", timeout: Long);
        Assert.True(server.ReceivedActions.Where(a => a.Is("Slow")).All(a => a.Sequence < logoff.Sequence));
        await server.WaitUntilAsync(() => server.Sessions.Count == 0, Long);
    }

    [Fact]
    public async Task Coordinated_shutdown_waits_for_in_flight_actions_only_up_to_the_drain_deadline()
    {
        var server = await StartServerAsync();
        server.OnAction("Slow", async ctx =>
        {
            await Task.Delay(300, ctx.CancellationToken);
            return ctx.Success();
        });
        server.OnAction("Never", _ => null);
        using var system = ActorSystem.Create("shutdown-deadline", ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.log-dead-letters = off"));
        var client = AmiClient.Start(system, Fast(Definition(server)) with { DrainTimeout = TimeSpan.FromSeconds(1.5), LogoffTimeout = TimeSpan.FromSeconds(2) });
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);

        var slow = client.SendAsync("pbx1", new AmiAction("Slow"), TimeSpan.FromMinutes(1));
        var never = client.SendAsync("pbx1", new AmiAction("Never"), TimeSpan.FromMinutes(1));
        await server.WaitForActionAsync("Slow", timeout: Long);
        var shutdown = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.UnknownReason.Instance);

        // The one that answers within the deadline gets its reply; the one that never answers is released at the deadline.
        Assert.True((await slow.WaitAsync(Long)).IsSuccess);
        var lost = await Assert.ThrowsAsync<AmiConnectionLostException>(() => never.WaitAsync(Long));
        Assert.Equal("Never", lost.ActionName);
        await shutdown.WaitAsync(Long);
        await server.WaitForActionAsync("Logoff", timeout: Long);
        await server.WaitUntilAsync(() => server.Sessions.Count == 0, Long);
    }
}
