using AmiActors.Protocol;
using AmiActors.TestKit.Simulation;

namespace AmiActors.Cli.Tests;

public class CallSimulatorTests
{
    private static (CallSimulator Simulator, List<AmiMessage> Events) Create(CallSimulatorOptions? options = null)
    {
        var events = new List<AmiMessage>();
        return (new CallSimulator(events.Add, options), events);
    }

    private static void Run(CallSimulator sim, TimeSpan total)
    {
        for (var t = TimeSpan.Zero; t < total; t += TimeSpan.FromMilliseconds(100))
        {
            sim.Advance(TimeSpan.FromMilliseconds(100));
        }
    }

    [Fact]
    public void Calls_start_at_the_configured_rate()
    {
        var (sim, _) = Create(new CallSimulatorOptions { CallsPerSecond = 4 });
        Run(sim, TimeSpan.FromSeconds(5));
        Assert.Equal(20, sim.CallsStarted);
    }

    [Fact]
    public void Every_channel_starts_with_Newchannel_and_ends_with_one_Hangup_once_the_calls_finish()
    {
        var (sim, events) = Create(new CallSimulatorOptions { CallsPerSecond = 10, MaxTalkTime = TimeSpan.FromSeconds(10), Seed = 7 });
        Run(sim, TimeSpan.FromSeconds(10));
        Assert.True(sim.ActiveCalls > 0);
        sim.CallsPerSecond = 0;
        Run(sim, TimeSpan.FromSeconds(30));

        Assert.Equal(0, sim.ActiveCalls);
        Assert.Empty(sim.Channels);
        Assert.Equal(sim.CallsStarted, sim.CallsCompleted);
        var byChannel = events.Where(e => e.Get("Channel") is not null).GroupBy(e => e.Get("Channel")!).ToList();
        Assert.NotEmpty(byChannel);
        foreach (var channel in byChannel)
        {
            var names = channel.Select(e => e.EventName).ToList();
            Assert.Equal("Newchannel", names[0]);
            Assert.Equal("Hangup", names[^1]);
            Assert.Single(names, n => n == "Hangup");
        }
    }

    [Fact]
    public void The_traffic_has_the_events_of_real_calls_with_their_field_sets()
    {
        var (sim, events) = Create(new CallSimulatorOptions { CallsPerSecond = 5, HoldShare = 1, QueueShare = 0.5, AnswerShare = 0.7, Seed = 3 });
        Run(sim, TimeSpan.FromSeconds(60));
        var names = events.Select(e => e.EventName).ToHashSet();
        foreach (var expected in new[] { "Newchannel", "VarSet", "Newexten", "Newstate", "QueueCallerJoin", "QueueCallerLeave", "DialBegin", "DialEnd",
                     "BridgeCreate", "BridgeEnter", "BridgeLeave", "BridgeDestroy", "Hold", "Unhold", "HangupRequest", "Hangup" })
        {
            Assert.Contains(expected, names);
        }
        var dialBegin = events.First(e => e.EventName == "DialBegin");
        foreach (var key in new[] { "Privilege", "Channel", "Uniqueid", "Linkedid", "DestChannel", "DestUniqueid", "DestLinkedid", "DialString" })
        {
            Assert.True(dialBegin.Contains(key), key);
        }
        Assert.Equal(dialBegin.Get("Linkedid"), dialBegin.Get("DestLinkedid"));
        var hangup = events.First(e => e.EventName == "Hangup");
        Assert.NotNull(hangup.Get("Cause"));
        Assert.NotNull(hangup.Get("Cause-txt"));
        Assert.Contains(events, e => e.EventName == "DialEnd" && e.Get("DialStatus") == "NOANSWER");
        Assert.Contains(events, e => e.EventName == "DialEnd" && e.Get("DialStatus") == "ANSWER");
    }

    [Fact]
    public void The_same_seed_gives_the_same_events()
    {
        var (a, eventsA) = Create(new CallSimulatorOptions { Seed = 42 });
        var (b, eventsB) = Create(new CallSimulatorOptions { Seed = 42 });
        Run(a, TimeSpan.FromSeconds(20));
        Run(b, TimeSpan.FromSeconds(20));
        Assert.Equal(eventsA.Count, eventsB.Count);
        Assert.Equal(eventsA.Select(e => Convert.ToHexString(e.ToWireBytes())), eventsB.Select(e => Convert.ToHexString(e.ToWireBytes())));
    }

    [Fact]
    public void CoreShowChannels_items_list_the_channels_up_now()
    {
        var (sim, _) = Create(new CallSimulatorOptions { CallsPerSecond = 2 });
        Run(sim, TimeSpan.FromSeconds(3));
        var items = sim.CoreShowChannelsItems();
        Assert.Equal(sim.Channels.Count, items.Count);
        Assert.NotEmpty(items);
        Assert.All(items, i => Assert.Equal(("Event", "CoreShowChannel"), i[0]));
        Assert.Equal(sim.Channels.Select(c => c.Channel), items.Select(i => i.First(h => h.Name == "Channel").Value));
    }

    [Fact]
    public void Bridges_enter_and_leave_in_balance()
    {
        var (sim, events) = Create(new CallSimulatorOptions { CallsPerSecond = 5, AnswerShare = 1, MaxTalkTime = TimeSpan.FromSeconds(5) });
        Run(sim, TimeSpan.FromSeconds(10));
        sim.CallsPerSecond = 0;
        Run(sim, TimeSpan.FromSeconds(20));
        Assert.Equal(events.Count(e => e.EventName == "BridgeCreate"), events.Count(e => e.EventName == "BridgeDestroy"));
        Assert.Equal(events.Count(e => e.EventName == "BridgeEnter"), events.Count(e => e.EventName == "BridgeLeave"));
        Assert.Equal(2 * events.Count(e => e.EventName == "BridgeCreate"), events.Count(e => e.EventName == "BridgeEnter"));
    }
}
