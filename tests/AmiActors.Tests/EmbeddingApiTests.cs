using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Actions;
using AmiActors.Events;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>The API an Akka.NET developer reaches for: typed actions by message, typed subscriptions by message, typed streams with a live signal, the typed Originate outcome.</summary>
public class EmbeddingApiTests(ITestOutputHelper output) : RuntimeTestBase(output)
{
    private static AmiMessage Hangup(string channel) =>
        AmiMessage.Create(("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", channel), ("Cause", "16"), ("Cause-txt", "Normal Clearing"));

    private static AmiMessage Newchannel(string channel) =>
        AmiMessage.Create(("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", channel));

    [Fact]
    public async Task An_actor_sends_a_typed_action_to_the_manager_without_converting_it()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var result = await client.Manager.Ask<AmiActionResult>(new AmiManager.SendAction("pbx1", new PingAction()), Long);

        Assert.True(result.IsSuccess);
        Assert.Equal("Pong", result.Response.Get("Ping"));
        var sent = new AmiManager.SendAction("pbx1", new CommandAction("core show version"), TimeSpan.FromSeconds(3));
        Assert.Equal(new AmiAction("Command", ("Command", "core show version")), sent.Action);
        Assert.Equal(TimeSpan.FromSeconds(3), sent.Timeout);
        Assert.Throws<ArgumentNullException>(() => new AmiManager.SendAction("pbx1", (IAmiAction)null!));
    }

    [Fact]
    public async Task A_typed_subscription_by_message_is_answered_Subscribed_and_delivers_only_that_type()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        var probe = CreateTestProbe();

        client.Manager.Tell(AmiManager.Subscribe.To<HangupEvent>(probe.Ref, "pbx1"), probe.Ref);
        Assert.Equal(probe.Ref, (await probe.ExpectMsgAsync<AmiManager.Subscribed>(Long)).Subscriber);

        await server.EmitEventAsync(Newchannel("PJSIP/1-1"));
        await server.EmitEventAsync(Hangup("PJSIP/1-1"));
        var hangup = await probe.ExpectMsgAsync<HangupEvent>(Long);
        Assert.Equal("PJSIP/1-1", hangup.Channel);
        Assert.Equal(16, hangup.Cause);

        client.Manager.Tell(AmiManager.Unsubscribe.From<HangupEvent>(probe.Ref, "pbx1"), probe.Ref);
        await probe.ExpectMsgAsync<AmiManager.Unsubscribed>(Long);
        await server.EmitEventAsync(Hangup("PJSIP/2-1"));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task A_subscription_message_can_name_several_event_types()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        var probe = CreateTestProbe();

        client.Manager.Tell(AmiManager.Subscribe.To(probe.Ref, null, typeof(NewchannelEvent), typeof(HangupEvent)), probe.Ref);
        await probe.ExpectMsgAsync<AmiManager.Subscribed>(Long);
        await server.EmitEventAsync(("Event", "UserEvent"), ("UserEvent", "ignored"));
        await server.EmitEventAsync(Newchannel("PJSIP/1-1"));
        await server.EmitEventAsync(Hangup("PJSIP/1-1"));

        Assert.Equal("PJSIP/1-1", (await probe.ExpectMsgAsync<NewchannelEvent>(Long)).Channel);
        Assert.Equal("PJSIP/1-1", (await probe.ExpectMsgAsync<HangupEvent>(Long)).Channel);
    }

    [Fact]
    public void A_typed_subscription_message_refuses_a_type_that_is_not_an_AMI_event()
    {
        Assert.Throws<ArgumentException>(() => AmiManager.Subscribe.To(ActorRefs.Nobody, null, typeof(string)));
        Assert.Throws<ArgumentException>(() => AmiManager.Subscribe.To(ActorRefs.Nobody, null));
        Assert.Empty(AmiManager.Subscribe.To<AmiEventReceived>(ActorRefs.Nobody).EventNames!);
        Assert.Equal(["Hangup"], AmiManager.Subscribe.To<HangupEvent>(ActorRefs.Nobody, "pbx1").EventNames!);
    }

    [Fact]
    public async Task A_typed_event_stream_is_live_when_its_task_completes_and_sees_every_event_caused_after()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var (live, hangups) = client.Events<HangupEvent>("pbx1")
            .Take(3)
            .ToMaterialized(Sink.Seq<HangupEvent>(), Keep.Both)
            .Run(Sys.Materializer());
        await live.WaitAsync(Long);
        // No delay, no retry: the first events emitted after "live" are the ones the stream gets.
        await server.EmitEventAsync(Newchannel("PJSIP/1-1"));
        for (int i = 1; i <= 3; i++)
        {
            await server.EmitEventAsync(Hangup($"PJSIP/{i}-1"));
        }

        var received = await hangups.WaitAsync(Long);
        Assert.Equal(["PJSIP/1-1", "PJSIP/2-1", "PJSIP/3-1"], received.Select(h => h.Channel));
    }

    [Fact]
    public async Task A_stream_stopped_before_it_was_live_cancels_its_live_task()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        // A manager that never answers: the subscription can never become live.
        var silent = Sys.ActorOf(Props.Create(() => new Silent()));
        var stalled = AmiClient.For(silent, Sys, client.Settings);

        var ((live, killSwitch), done) = stalled.Events("pbx1")
            .ViaMaterialized(KillSwitches.Single<AmiEventReceived>(), Keep.Both)
            .ToMaterialized(Sink.Ignore<AmiEventReceived>(), Keep.Both)
            .Run(Sys.Materializer());
        killSwitch.Shutdown();
        await done.WaitAsync(Long);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => live.WaitAsync(Long));
    }

    [Fact]
    public void A_typed_event_stream_refuses_a_type_that_is_not_an_AMI_event()
    {
        var client = AmiClient.For(Sys.ActorOf(Props.Create(() => new Silent())), Sys, AmiSettings.Default);
        Assert.Throws<ArgumentException>(() => client.Events<NotACatalogEvent>());
    }

    [Fact]
    public async Task An_async_Originate_result_has_the_typed_OriginateResponse_and_prints_its_outcome()
    {
        var server = await StartServerAsync(new FakeAsteriskOptions
        {
            OriginateOutcomeSelector = a => a.Get("Exten") == "busy" ? FakeOriginateOutcome.Busy : FakeOriginateOutcome.Answered,
        });
        var client = await StartClientAsync(FastSettings(Definition(server)));

        var answered = await client.SendAsync("pbx1", new OriginateAction("PJSIP/100") { Context = "test", Exten = "100", Priority = 1, Async = true }, Long);
        var busy = await client.SendRawAsync("pbx1", new OriginateAction("PJSIP/100") { Context = "test", Exten = "busy", Priority = 1, Async = true }, Long);

        Assert.Equal(OriginateResponseResponse.Success, answered.OriginateResponseEvent!.Response);
        Assert.Equal(4, answered.OriginateResponseEvent.Reason);
        Assert.Equal("pbx1", answered.OriginateResponseEvent.ServerId);
        Assert.Contains("OriginateResponse Success, Reason 4 (answered)", answered.ToString());
        Assert.DoesNotContain("queued", answered.ToString());

        Assert.False(busy.IsSuccess);
        Assert.Equal(OriginateResponseResponse.Failure, busy.OriginateResponseEvent!.Response);
        Assert.Contains("OriginateResponse Failure, Reason 5 (busy)", busy.ToString());
        var thrown = await Assert.ThrowsAsync<AmiErrorResponseException>(
            () => client.SendAsync("pbx1", new OriginateAction("PJSIP/100") { Context = "test", Exten = "busy", Priority = 1, Async = true }, Long));
        Assert.Contains("OriginateResponse Failure, Reason 5 (busy)", thrown.Message);
        Assert.Equal(5, thrown.Result.OriginateResponseEvent!.Reason);

        var ping = await client.SendAsync("pbx1", new PingAction(), Long);
        Assert.Null(ping.OriginateResponseEvent);
        Assert.StartsWith("AmiActionResult(pbx1, ", ping.ToString());
    }

    [Theory]
    [InlineData(0, "failed")]
    [InlineData(1, "hung up")]
    [InlineData(3, "no answer")]
    [InlineData(4, "answered")]
    [InlineData(5, "busy")]
    [InlineData(8, "congestion")]
    [InlineData(42, "other")]
    public void Originate_reasons_are_named(int reason, string text) =>
        Assert.Equal(text, AmiActionResult.OriginateReasonText(reason));

    private sealed record NotACatalogEvent(string ServerId, AmiMessage Event) : AmiEventReceived(ServerId, Event);

    private sealed class Silent : ReceiveActor
    {
        public Silent() => ReceiveAny(_ => { });
    }
}
