using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Protocol;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>
/// The event router crashes (Kill: an ActorKilledException thrown inside it, handled by the manager's strategy like any bug)
/// while a real TCP session streams events; every kind of subscriber keeps receiving.
/// </summary>
public class RouterSupervisionTests(ITestOutputHelper output) : RuntimeTestBase(output)
{
    private static AmiMessage UserEvent(string tag) => AmiMessage.Create(("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", tag));

    private static bool Is(AmiEventReceived e, string tag) => e.Event.Get("UserEvent") == tag;

    [Fact]
    public async Task A_crash_of_the_event_router_mid_stream_keeps_topic_stream_and_EventStream_subscribers_receiving()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        var named = CreateTestProbe();
        var everything = CreateTestProbe();
        var stream = CreateTestProbe();
        var eventStream = CreateTestProbe();
        await client.SubscribeAsync(named.Ref, "pbx1", "UserEvent");
        await client.SubscribeAsync(everything.Ref);
        Sys.EventStream.Subscribe(eventStream.Ref, typeof(AmiEventReceived));
        client.Events("pbx1", ["UserEvent"]).RunWith(Sink.ActorRef<AmiEventReceived>(stream.Ref, "completed", e => e), Sys.Materializer());
        var subscribers = new[] { named, everything, stream, eventStream };

        // The stream subscribes when it is materialized: send markers until one reaches it, then one all four must see.
        await AwaitAssertAsync(async () =>
        {
            await server.EmitEventAsync(UserEvent("warm-up"));
            await stream.ExpectMsgAsync<AmiEventReceived>(TimeSpan.FromMilliseconds(200));
        }, Long, TimeSpan.FromMilliseconds(10));
        await server.EmitEventAsync(UserEvent("ready"));
        foreach (var s in subscribers)
        {
            await s.FishForMessageAsync<AmiEventReceived>(e => Is(e, "ready"), Long);
        }

        using var stop = new CancellationTokenSource();
        var emitter = Task.Run(async () =>
        {
            for (int i = 0; i < 20_000 && !stop.IsCancellationRequested; i++)
            {
                await server.EmitEventAsync(UserEvent("mid-" + i));
                await Task.Delay(1);
            }
        });
        foreach (var s in subscribers)
        {
            await s.FishForMessageAsync<AmiEventReceived>(e => e.Event.Get("UserEvent")!.StartsWith("mid-", StringComparison.Ordinal), Long);
        }

        var router = await Sys.ActorSelection("/user/ami/events").ResolveOne(Long);
        await EventFilter.Error(start: "AMI event router failed").ExpectOneAsync(Long, () =>
        {
            router.Tell(Kill.Instance);
            return Task.CompletedTask;
        });
        await stop.CancelAsync();
        await emitter;

        for (int k = 0; k < 5; k++)
        {
            await server.EmitEventAsync(UserEvent("after-" + k));
        }
        foreach (var s in subscribers)
        {
            // In order, each once: fishing for after-0 would skip an earlier after-1, and the next fish would then fail.
            for (int k = 0; k < 5; k++)
            {
                var e = await s.FishForMessageAsync<AmiEventReceived>(e => e.Event.Get("UserEvent")!.StartsWith("after-", StringComparison.Ordinal), Long);
                Assert.Equal("after-" + k, e.Event.Get("UserEvent"));
                Assert.Equal("pbx1", e.ServerId);
            }
        }
        // The same router (restarted in place, not replaced) still serves subscriptions and unsubscriptions.
        Assert.Equal(router, await Sys.ActorSelection("/user/ami/events").ResolveOne(Long));
        await client.UnsubscribeAsync(named.Ref, "pbx1");
        await server.EmitEventAsync(UserEvent("last"));
        await everything.FishForMessageAsync<AmiEventReceived>(e => Is(e, "last"), Long);
        await named.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }
}
