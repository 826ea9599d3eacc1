using Akka.Actor;
using AmiActors.Actions;
using AmiActors.Events;
using AmiActors.Protocol;

namespace AmiActors.Generators.Tests;

public class TypedRoutingTests : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public void An_EventStream_subscriber_to_HangupEvent_receives_only_hangups()
    {
        var hangups = CreateTestProbe();
        var all = CreateTestProbe();
        Sys.EventStream.Subscribe(hangups.Ref, typeof(HangupEvent));
        Sys.EventStream.Subscribe(all.Ref, typeof(AmiEventReceived));

        var events = Shared.Decode("event-stream-2000.recv.txt").Where(m => m.Kind == AmiMessageKind.Event).ToList();
        foreach (var message in events)
        {
            Sys.EventStream.Publish(AmiEventReceived.Create("pbx-1", message));
        }
        // A generic (unknown) event last: seen by the AmiEventReceived subscriber only.
        Sys.EventStream.Publish(AmiEventReceived.Create("pbx-1", AmiMessage.Create(("Event", "NotInTheCatalog"))));

        int expected = events.Count(m => string.Equals(m.EventName, "Hangup", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(100, expected);
        for (int i = 0; i < expected; i++)
        {
            var hangup = hangups.ExpectMsg<HangupEvent>(TimeSpan.FromSeconds(10));
            Assert.Equal("pbx-1", hangup.ServerId);
        }
        for (int i = 0; i < events.Count; i++)
        {
            all.ExpectMsg<AmiEventReceived>(TimeSpan.FromSeconds(10));
        }
        Assert.Equal(typeof(AmiEventReceived), all.ExpectMsg<AmiEventReceived>(TimeSpan.FromSeconds(10)).GetType());
        // Every hangup has been delivered, and the generic event published after them was not: nothing else is queued.
        hangups.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void An_actor_can_receive_typed_events_with_Receive_of_the_typed_class()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new HangupCounter(probe.Ref)));
        actor.Tell(AmiEventReceived.Create("s", AmiMessage.Create(("Event", "Newchannel"))));
        actor.Tell(AmiEventReceived.Create("s", AmiMessage.Create(("Event", "Hangup"), ("Cause", "16"))));
        Assert.Equal("Newchannel", probe.ExpectMsg<string>(TimeSpan.FromSeconds(10)));
        Assert.Equal("hangup 16", probe.ExpectMsg<string>(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_list_reply_is_wrapped_as_typed_items_and_a_typed_complete_event()
    {
        var messages = Shared.Decode("coreshowchannels-active.recv.txt");
        var response = messages.Single(m => m.Kind == AmiMessageKind.Response && m.ActionId == "csc-2");
        var items = messages.Where(m => m.Kind == AmiMessageKind.Event && m.ActionId == "csc-2" && !m.IsListComplete).ToList();
        var complete = messages.Single(m => m.Kind == AmiMessageKind.Event && m.IsListComplete);
        var result = new AmiActionResult("pbx-1", "csc-2", response, items, complete);

        var list = AmiClientTypedExtensions.ToListResult<CoreShowChannelEvent>(result);
        Assert.Equal(2, list.Items.Count);
        Assert.Equal(list.ListItems, list.Items.Count);
        Assert.Equal(["Local/200@test-00000000;1", "Local/200@test-00000000;2"], list.Items.Select(i => i.Channel));
        Assert.Equal([1, 2], list.Items.Select(i => i.Priority));
        Assert.Equal("00:00:01", list.Items[0].Duration);
        Assert.IsType<CoreShowChannelsCompleteEvent>(list.Complete);
        Assert.Equal(new CoreShowChannelsAction().CompleteEventName, list.Complete!.EventName);
    }

    private sealed class HangupCounter : ReceiveActor
    {
        public HangupCounter(IActorRef probe)
        {
            Receive<HangupEvent>(h => probe.Tell($"hangup {h.Cause}"));
            Receive<AmiEventReceived>(e => probe.Tell(e.EventName));
        }
    }
}
