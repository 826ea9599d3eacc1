using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors;
using AmiActors.Actions;
using AmiActors.Events;

namespace AmiActors.Samples.Snippets;

/// <summary>Events as an Akka.Streams source.</summary>
public static class Streams
{
    public static async Task ByName(IAmiClient ami, ActorSystem system, CancellationToken stoppingToken)
    {
        var (killSwitch, done) = ami.Events("pbx1", ["Hangup"], bufferSize: 4096)
            .Select(e => (e.Event["Linkedid"], e.Event["Cause-txt"]))
            .ViaMaterialized(KillSwitches.Single<(string?, string?)>(), Keep.Right)
            .ToMaterialized(Sink.ForEach<(string?, string?)>(x => Console.WriteLine(x)), Keep.Both)
            .Run(system.Materializer());
        await using var stop = stoppingToken.Register(killSwitch.Shutdown);
        await done;   // the source never ends by itself: the kill switch ends it when stoppingToken fires
    }

    public static async Task<IReadOnlyList<HangupEvent>> LiveBeforeAction(IAmiClient ami, ActorSystem system, string channel)
    {
        var (live, hangup) = ami.Events<HangupEvent>("pbx1")
            .Where(h => h.Channel == channel)
            .Take(1)
            .ToMaterialized(Sink.Seq<HangupEvent>(), Keep.Both)
            .Run(system.Materializer());
        await live;                                                 // subscribed: the Hangup cannot be missed
        await ami.SendAsync("pbx1", new HangupAction(channel));
        return await hangup.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
