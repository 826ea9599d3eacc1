using AmiActors.Protocol;

namespace AmiActors.Cli.Tests;

public class LiveViewTests
{
    private static AmiMessage Event(string name, string channel, string uniqueid, string linkedid) =>
        AmiMessage.Create(("Event", name), ("Channel", channel), ("Uniqueid", uniqueid), ("Linkedid", linkedid));

    [Fact]
    public void Active_calls_follow_Newchannel_and_Hangup_of_the_calling_channel()
    {
        var stats = new DemoStats();
        stats.OnEvent(Event("Newchannel", "PJSIP/trunk-1", "1.1", "1.1"));
        stats.OnEvent(Event("Newchannel", "PJSIP/2001-2", "1.2", "1.1"));
        stats.OnEvent(Event("Newchannel", "PJSIP/trunk-3", "1.3", "1.3"));
        var during = stats.Snapshot();
        Assert.Equal(2, during.ActiveCalls);
        Assert.Equal(3, during.ActiveChannels);
        stats.OnEvent(Event("Hangup", "PJSIP/2001-2", "1.2", "1.1"));
        stats.OnEvent(Event("Hangup", "PJSIP/trunk-1", "1.1", "1.1"));
        var after = stats.Snapshot();
        Assert.Equal(1, after.ActiveCalls);
        Assert.Equal(1, after.ActiveChannels);
        Assert.Equal(1, after.CallsCompleted);
        Assert.Equal(5, after.Events);
        Assert.StartsWith("Hangup Channel=PJSIP/trunk-1", after.Recent[^1]);
    }

    [Fact]
    public void The_plain_line_carries_every_figure()
    {
        var stats = new DemoStats();
        stats.OnEvent(Event("Newchannel", "PJSIP/trunk-1", "1.1", "1.1"));
        stats.Tick(TimeSpan.FromSeconds(1));
        stats.OnRoundTrips(TimeSpan.FromMilliseconds(0.5), TimeSpan.FromMilliseconds(1.25), 1);
        var line = LiveView.Line(TimeSpan.FromSeconds(3), stats.Snapshot());
        Assert.Equal("t=3s events=1 events/s=1 active-calls=1 active-channels=1 completed-calls=0 ping=0.50ms coreshowchannels=1.25ms", line);
    }

    [Fact]
    public void The_screen_redraws_from_the_top_and_clips_long_lines()
    {
        var stats = new DemoStats();
        stats.OnEvent(Event("Newchannel", new string('x', 300), "1.1", "1.1"));
        var screen = LiveView.Screen(TimeSpan.FromSeconds(65), stats.Snapshot(), "tcp://demo@127.0.0.1:1", 5, 80);
        Assert.StartsWith("\u001b[H\u001b[2J", screen);
        Assert.Contains("00:01:05", screen);
        Assert.All(screen.Split('\n').Skip(1), l => Assert.True(l.Length <= 80, l));
    }
}
