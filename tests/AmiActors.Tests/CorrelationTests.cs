using System.Globalization;
using Akka.Actor;
using AmiActors.Actors;
using AmiActors.Protocol;
using AmiActors.Tests.Fault;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>Every action gets its own correlation actor, a child of the connection actor, which stops once the action is answered.</summary>
public class CorrelationTests(ITestOutputHelper output) : FaultTestBase(output)
{
    private async Task<AmiConnectionActor.GetCorrelationsResult> CorrelationsAsync(string serverId = "pbx1")
    {
        var connection = await Sys.ActorSelection($"/user/ami/connection-{serverId}-1").ResolveOne(Long);
        return await connection.Ask<AmiConnectionActor.GetCorrelationsResult>(AmiConnectionActor.GetCorrelations.Instance, Long);
    }

    [Fact]
    public async Task An_event_carrying_the_ActionID_right_after_the_response_in_the_same_read_reaches_subscribers()
    {
        // Asterisk's UserEvent action answers Success and then emits the UserEvent with the action's ActionID: both arrive
        // in one read, and the event must not be lost to the correlation actor that has just answered.
        var server = await StartServerAsync();
        using var handler = server.OnAction("UserEvent", async ctx =>
        {
            var bytes = ctx.Success().ToWireBytes().Concat(ctx.Event("UserEvent", ("UserEvent", ctx.Header("UserEvent") ?? "")).ToWireBytes()).ToArray();
            await ctx.SendRawAsync(bytes);
            return null;
        });
        var client = await StartClientAsync(Fast(Definition(server)));
        var probe = CreateTestProbe();
        await client.SubscribeAsync(probe.Ref, "pbx1", "UserEvent");

        for (int i = 0; i < 20; i++)
        {
            string tag = "tag-" + i.ToString(CultureInfo.InvariantCulture);
            var reply = await client.SendAsync("pbx1", new AmiAction("UserEvent", ("UserEvent", tag))).WaitAsync(Long);
            Assert.True(reply.Response.IsSuccess);
            var e = await probe.ExpectMsgAsync<AmiEventReceived>(Long);
            Assert.Equal(tag, e.Event.Get("UserEvent"));
        }
        await AwaitAssertAsync(async () => Assert.Equal(new AmiConnectionActor.GetCorrelationsResult(0, 0), await CorrelationsAsync()), Long);
    }

    [Fact]
    public async Task A_hundred_actions_in_flight_have_a_hundred_correlation_actors_and_none_is_left_after_the_replies()
    {
        var server = await StartServerAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var hold = server.OnAction("Hold", async ctx =>
        {
            await gate.Task;
            return ctx.Success(null, ("Echo", ctx.Header("Payload") ?? ""));
        });
        var client = await StartClientAsync(Fast(Definition(server)));

        var tasks = Enumerable.Range(0, 100)
            .Select(i => client.SendRawAsync("pbx1", new AmiAction("Hold", ("Payload", i.ToString(CultureInfo.InvariantCulture))), TimeSpan.FromMinutes(1)))
            .ToArray();
        // Nothing can be answered while the gate is shut: the count can only climb to 100 and stay there.
        await AwaitAssertAsync(async () => Assert.Equal(new AmiConnectionActor.GetCorrelationsResult(100, 100), await CorrelationsAsync()), Long);
        Assert.DoesNotContain(tasks, t => t.IsCompleted);
        // Each runs on its small mailbox, not Akka's default queue.
        var connection = (ActorRefWithCell)await Sys.ActorSelection("/user/ami/connection-pbx1-1").ResolveOne(Long);
        var correlations = connection.Underlying.ChildrenContainer.Children.Cast<ActorRefWithCell>().Select(c => (ActorCell)c.Underlying)
            .Where(cell => cell.Props.Type == typeof(AmiCorrelationActor)).ToList();
        Assert.Equal(100, correlations.Count);
        Assert.All(correlations, cell => Assert.IsType<CorrelationMailbox.SmallQueue>(cell.Mailbox!.MessageQueue));

        gate.SetResult();
        var results = await Task.WhenAll(tasks).WaitAsync(Long);
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), results[i].Response.Get("Echo"));
        }
        await AwaitAssertAsync(async () => Assert.Equal(new AmiConnectionActor.GetCorrelationsResult(0, 0), await CorrelationsAsync()), Long);
    }

    [Fact]
    public async Task A_list_and_a_failed_action_leave_no_correlation_actor_behind()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(Fast(Definition(server)));

        var list = await client.SendAsync("pbx1", new AmiAction("CoreShowChannels"));
        Assert.NotNull(list.Complete);
        var error = await client.SendRawAsync("pbx1", new AmiAction("NoSuchAction"));
        Assert.True(error.Response.IsError);

        await AwaitAssertAsync(async () => Assert.Equal(new AmiConnectionActor.GetCorrelationsResult(0, 0), await CorrelationsAsync()), Long);
    }

    [Fact]
    public async Task Correlation_actors_caught_by_a_disconnect_fail_their_askers_and_stop()
    {
        var server = await StartServerAsync();
        using var never = server.OnAction("Never", _ => null);
        var client = await StartClientAsync(Fast(Definition(server)));

        var tasks = Enumerable.Range(0, 20).Select(_ => client.SendAsync("pbx1", new AmiAction("Never"), TimeSpan.FromMinutes(1))).ToArray();
        await AwaitAssertAsync(async () => Assert.Equal(20, (await CorrelationsAsync()).Children), Long);
        await server.Faults.DropAllSessionsAsync();

        foreach (var task in tasks)
        {
            var lost = await Assert.ThrowsAsync<AmiConnectionLostException>(() => task.WaitAsync(Long));
            Assert.Equal("Never", lost.ActionName);
        }
        await AwaitAssertAsync(async () => Assert.Equal(new AmiConnectionActor.GetCorrelationsResult(0, 0), await CorrelationsAsync()), Long);
    }
}

/// <summary>The shared deadline list, on virtual time: each action fails at its own deadline, whatever order they were sent in.</summary>
public class CorrelationDeadlineTests(ITestOutputHelper output) : FaultTestBase(output, VirtualTime)
{
    [Fact]
    public async Task Actions_with_different_timeouts_each_time_out_at_their_own_deadline()
    {
        var server = await StartServerAsync();
        using var never = server.OnAction("Never", _ => null);
        var client = await StartClientAsync(Fast(Definition(server)));
        var connection = await Sys.ActorSelection("/user/ami/connection-pbx1-1").ResolveOne(Long);

        var ten = client.SendAsync("pbx1", new AmiAction("Never", ("N", "10")), TimeSpan.FromSeconds(10));
        var five = client.SendAsync("pbx1", new AmiAction("Never", ("N", "5")), TimeSpan.FromSeconds(5));
        var twenty = client.SendAsync("pbx1", new AmiAction("Never", ("N", "20")), TimeSpan.FromSeconds(20));
        await server.WaitForActionCountAsync("Never", 3, Long);

        Scheduler.Advance(TimeSpan.FromSeconds(5));
        var first = await Assert.ThrowsAsync<AmiActionTimeoutException>(() => five.WaitAsync(Long));
        Assert.Equal(TimeSpan.FromSeconds(5), first.Timeout);
        Assert.False(ten.IsCompleted);
        Assert.False(twenty.IsCompleted);

        Scheduler.Advance(TimeSpan.FromSeconds(5));
        var second = await Assert.ThrowsAsync<AmiActionTimeoutException>(() => ten.WaitAsync(Long));
        Assert.Equal(TimeSpan.FromSeconds(10), second.Timeout);
        Assert.False(twenty.IsCompleted);
        await AwaitAssertAsync(async () => Assert.Equal(1, (await connection.Ask<AmiConnectionActor.GetCorrelationsResult>(AmiConnectionActor.GetCorrelations.Instance, Long)).Children), Long);

        Scheduler.Advance(TimeSpan.FromSeconds(10));
        var third = await Assert.ThrowsAsync<AmiActionTimeoutException>(() => twenty.WaitAsync(Long));
        Assert.Equal("the response", third.Stage);
        await AwaitAssertAsync(async () => Assert.Equal(new AmiConnectionActor.GetCorrelationsResult(0, 0), await connection.Ask<AmiConnectionActor.GetCorrelationsResult>(AmiConnectionActor.GetCorrelations.Instance, Long)), Long);
    }
}
