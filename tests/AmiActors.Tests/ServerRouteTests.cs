using Akka.Actor;
using Akka.TestKit;
using AmiActors.Actors;
using AmiActors.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>
/// The client's route to a server, step by step with probes standing in for the manager and the connection actor, so the
/// moment of the switch is under the test's control (through real actors the manager drains too fast to leave a window).
/// </summary>
public class ServerRouteTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private static AmiManager.SendAction Send(int n) => new("pbx1", new AmiAction("Ping", ("X-Seq", n.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    private static int SeqOf(object message) => int.Parse(((AmiManager.SendAction)message).Action.Get("X-Seq")!, System.Globalization.CultureInfo.InvariantCulture);

    private static AmiActionResult Result(int n) =>
        new("pbx1", n.ToString(System.Globalization.CultureInfo.InvariantCulture), AmiMessage.Create(("Response", "Success")), Array.Empty<AmiMessage>());

    private (TestProbe Manager, TestProbe Connection, AmiServerRoute Route) NewRoute()
    {
        var manager = CreateTestProbe("manager");
        return (manager, CreateTestProbe("connection"), new AmiServerRoute("pbx1", manager.Ref, Wait));
    }

    // The first action goes to the manager, followed by the lookup; returns the action's reply, what the manager got, and
    // who to answer the lookup.
    private static (Task<object> Reply, AmiManager.SendAction Sent, AmiManagerActor.GetConnection Lookup, IActorRef LookupSender) FirstAction(AmiServerRoute route, TestProbe manager)
    {
        var reply = route.AskAsync(Send(1), Wait, CancellationToken.None);
        var sent = manager.ExpectMsg<AmiManager.SendAction>();
        var lookup = manager.ExpectMsg<AmiManagerActor.GetConnection>();
        return (reply, sent, lookup, manager.LastSender);
    }

    [Fact]
    public async Task Actions_go_through_the_manager_until_the_lookup_is_back_then_straight_to_the_connection()
    {
        var (manager, connection, route) = NewRoute();

        var (first, sent, lookup, lookupSender) = FirstAction(route, manager);
        Assert.Equal(1, SeqOf(sent));
        Assert.Equal("pbx1", lookup.ServerId);
        lookupSender.Tell(new AmiManagerActor.ConnectionOf("pbx1", connection.Ref));

        // Nothing went to the manager after the lookup: the route switches as soon as the answer is in.
        await AwaitConditionAsync(() => Task.FromResult(route.IsDirect), Wait);
        var second = route.AskAsync(Send(2), Wait, CancellationToken.None);
        Assert.Equal(2, SeqOf(connection.ExpectMsg<AmiManager.SendAction>(Wait)));
        connection.LastSender.Tell(Result(2));
        Assert.Equal("2", ((AmiActionResult)await second.WaitAsync(Wait)).ActionId);
        manager.ExpectNoMsg(Quiet);
        Assert.False(first.IsCompleted);
    }

    [Fact]
    public async Task Actions_sent_to_the_manager_after_the_lookup_are_not_overtaken_held_actions_follow_the_barrier_in_order()
    {
        var (manager, connection, route) = NewRoute();

        var lookup = FirstAction(route, manager).LookupSender;
        // Sent after the lookup: it sits behind it in the manager's mailbox and may not be overtaken.
        _ = route.AskAsync(Send(2), Wait, CancellationToken.None);
        Assert.Equal(2, SeqOf(manager.ExpectMsg<AmiManager.SendAction>()));
        lookup.Tell(new AmiManagerActor.ConnectionOf("pbx1", connection.Ref));

        // Not switched yet: a second lookup goes behind action 2 as a barrier; actions meanwhile are held.
        manager.ExpectMsg<AmiManagerActor.GetConnection>();
        var barrier = manager.LastSender;
        var held = Enumerable.Range(3, 5).Select(n => route.AskAsync(Send(n), Wait, CancellationToken.None)).ToArray();
        manager.ExpectNoMsg(Quiet);
        connection.ExpectNoMsg(TimeSpan.Zero);
        Assert.False(route.IsDirect);
        Assert.All(held, t => Assert.False(t.IsCompleted));

        barrier.Tell(new AmiManagerActor.ConnectionOf("pbx1", connection.Ref));
        for (int n = 3; n <= 7; n++)
        {
            Assert.Equal(n, SeqOf(connection.ExpectMsg<AmiManager.SendAction>(Wait)));
            connection.LastSender.Tell(Result(n));
        }
        var replies = await Task.WhenAll(held).WaitAsync(Wait);
        Assert.Equal(["3", "4", "5", "6", "7"], replies.Select(r => ((AmiActionResult)r).ActionId));

        // From now on: straight to the connection actor.
        var next = route.AskAsync(Send(8), Wait, CancellationToken.None);
        Assert.Equal(8, SeqOf(connection.ExpectMsg<AmiManager.SendAction>(Wait)));
        connection.LastSender.Tell(Result(8));
        await next.WaitAsync(Wait);
        manager.ExpectNoMsg(Quiet);
    }

    [Fact]
    public async Task A_terminated_connection_sends_actions_through_the_manager_again_and_an_unknown_server_stays_there()
    {
        var (manager, connection, route) = NewRoute();
        FirstAction(route, manager).LookupSender.Tell(new AmiManagerActor.ConnectionOf("pbx1", connection.Ref));
        await AwaitConditionAsync(() => Task.FromResult(route.IsDirect), Wait);
        _ = route.AskAsync(Send(2), Wait, CancellationToken.None);
        connection.ExpectMsg<AmiManager.SendAction>(Wait);

        Watch(connection.Ref);
        Sys.Stop(connection.Ref);
        ExpectTerminated(connection.Ref);

        // The server is gone: the manager gets the action (and answers UnknownServerException), and a new lookup.
        var afterRemoval = route.AskAsync(Send(3), Wait, CancellationToken.None);
        Assert.Equal(3, SeqOf(manager.ExpectMsg<AmiManager.SendAction>()));
        manager.LastSender.Tell(new Status.Failure(new UnknownServerException("pbx1")));
        manager.ExpectMsg<AmiManagerActor.GetConnection>();
        manager.LastSender.Tell(new Status.Failure(new UnknownServerException("pbx1")));
        await Assert.ThrowsAsync<UnknownServerException>(() => afterRemoval.WaitAsync(Wait));
        await AwaitConditionAsync(() => Task.FromResult(!route.IsLookingUp), Wait);

        // Still with the manager, looking up again with its next action.
        _ = route.AskAsync(Send(4), Wait, CancellationToken.None);
        Assert.Equal(4, SeqOf(manager.ExpectMsg<AmiManager.SendAction>()));
        manager.ExpectMsg<AmiManagerActor.GetConnection>();
    }
}
