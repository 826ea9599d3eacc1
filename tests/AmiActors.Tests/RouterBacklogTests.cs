using AmiActors.Actors;

namespace AmiActors.Tests;

public class RouterBacklogTests
{
    [Fact]
    public void A_connection_reads_on_while_the_router_is_less_than_the_limit_behind()
    {
        var backlog = new AmiEventRouterActor.RouterBacklog(100);
        backlog.Added(99);

        Assert.True(backlog.HasRoom());
        Assert.False(backlog.Routed(99)); // nobody waits: no wake-up message
    }

    [Fact]
    public void A_connection_at_the_limit_waits_and_is_woken_once_when_the_router_gets_below_it()
    {
        var backlog = new AmiEventRouterActor.RouterBacklog(100);
        backlog.Added(60);
        backlog.Added(60);

        Assert.False(backlog.HasRoom());
        Assert.False(backlog.Routed(10)); // 110 left: still at the limit
        Assert.True(backlog.Routed(60));  // 50 left: wake it
        Assert.False(backlog.Routed(50)); // woken already
        Assert.True(backlog.HasRoom());
    }

    [Fact]
    public void After_a_wake_up_the_connection_reads_on_and_routing_below_the_limit_sends_no_message()
    {
        var backlog = new AmiEventRouterActor.RouterBacklog(10);
        backlog.Added(10);
        Assert.False(backlog.HasRoom());
        Assert.True(backlog.Routed(10));

        backlog.Added(3);
        Assert.True(backlog.HasRoom());
        Assert.False(backlog.Routed(3));
    }
}
