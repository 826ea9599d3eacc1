using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests;

public class EventTests(ITestOutputHelper output) : RuntimeTestBase(output)
{
    private static AmiMessage UserEvent(string name) => AmiMessage.Create(("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", name));

    private static async Task<AmiEventReceived> NextEvent(TestProbe probe, Predicate<AmiEventReceived> match) =>
        await probe.FishForMessageAsync<AmiEventReceived>(match, Long);

    [Fact]
    public async Task Topic_subscriptions_filter_by_event_name_and_by_server()
    {
        var a = await StartServerAsync();
        var b = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(a, "a"), Definition(b, "b")));
        var byName = CreateTestProbe();
        var byServer = CreateTestProbe();
        await client.SubscribeAsync(byName.Ref, null, "userevent");
        await client.SubscribeAsync(byServer.Ref, "b");

        await a.EmitEventAsync(("Event", "Hangup"), ("Channel", "PJSIP/1"));
        await a.EmitEventAsync(UserEvent("from-a"));
        await b.EmitEventAsync(UserEvent("from-b"));

        var first = await byName.ExpectMsgAsync<AmiEventReceived>(Long);
        var second = await byName.ExpectMsgAsync<AmiEventReceived>(Long);
        Assert.Equal(new[] { "a:from-a", "b:from-b" }, new[] { first, second }.Select(e => $"{e.ServerId}:{e.Event.Get("UserEvent")}").Order().ToArray());

        var fromB = await NextEvent(byServer, e => e.EventName == "UserEvent");
        Assert.Equal("b", fromB.ServerId);
        Assert.Equal("from-b", fromB.Event.Get("UserEvent"));

        await client.UnsubscribeAsync(byName.Ref);
        await a.EmitEventAsync(UserEvent("after"));
        await byName.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    private static byte[] NumberedEvents(int count)
    {
        var text = new System.Text.StringBuilder();
        for (int i = 1; i <= count; i++)
        {
            text.Append("Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: flood\r\nSeq: ").Append(i).Append("\r\n\r\n");
        }
        return System.Text.Encoding.ASCII.GetBytes(text.ToString());
    }

    [Fact]
    public async Task Subscriptions_made_before_the_server_is_added_receive_the_events_that_arrive_with_the_login_response()
    {
        const int count = 500;
        var server = await StartServerAsync();
        server.Faults.BytesWithLoginResponse = NumberedEvents(count);
        var client = await StartClientAsync(FastSettings(), waitConnected: false);
        var actor = CreateTestProbe();
        var published = CreateTestProbe();
        await client.SubscribeAsync(actor.Ref, "pbx1", "UserEvent");
        Sys.EventStream.Subscribe(published.Ref, typeof(AmiEventReceived));
        var (subscribed, streamed) = client.Events("pbx1", ["UserEvent"], bufferSize: count)
            .Take(count)
            .ToMaterialized(Sink.Seq<AmiEventReceived>(), Keep.Both)
            .Run(Sys.Materializer());
        await subscribed.WaitAsync(Long);

        await client.AddServerAsync(Definition(server));

        var expected = Enumerable.Range(1, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var byActor = new List<string>();
        for (int i = 0; i < count; i++)
        {
            byActor.Add((await actor.ExpectMsgAsync<AmiEventReceived>(Long)).Event.Get("Seq")!);
        }
        Assert.Equal(expected, byActor);
        var byStream = await streamed.WaitAsync(Long);
        Assert.Equal(expected, byStream.Select(e => e.Event.Get("Seq")!).ToArray());
        var byEventStream = new List<string>();
        while (byEventStream.Count < count)
        {
            var e = await published.ExpectMsgAsync<AmiEventReceived>(Long);
            if (e.EventName == "UserEvent")
            {
                byEventStream.Add(e.Event.Get("Seq")!);
            }
        }
        Assert.Equal(expected, byEventStream);
    }

    [Fact]
    public async Task An_event_stream_whose_consumer_is_stuck_holds_a_bounded_number_of_events_and_counts_the_rest_as_dropped_at_once()
    {
        const int flood = 5000;
        const int buffer = 100;
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)) with { PublishToEventStream = false });
        using var gate = new ManualResetEventSlim();
        long received = 0;
        // The consumer blocks its stream (on the blocking-IO dispatcher) at the first event: what follows waits in the stream's mailbox.
        var (subscribed, done) = client.Events("pbx1", ["UserEvent"], bufferSize: buffer)
            .ToMaterialized(Sink.ForEach<AmiEventReceived>(_ =>
            {
                Interlocked.Increment(ref received);
                gate.Wait(Long);
            }), Keep.Both)
            .WithAttributes(ActorAttributes.CreateDispatcher("akka.stream.default-blocking-io-dispatcher"))
            .Run(Sys.Materializer());
        await subscribed.WaitAsync(Long);

        await server.FloodEventsAsync(null, NumberedEvents(100), flood);

        // While it is stuck, no more than max(buffer, 1024) waits in its mailbox (and its buffer in the stage): the rest is dropped
        // and counted at once.
        int held = buffer + Math.Max(buffer, 1024);
        await AwaitAssertAsync(async () => Assert.True((await client.GetServersAsync()).Single().EventsDropped >= flood - held - 1), Long);
        gate.Set();
        await AwaitAssertAsync(async () =>
        {
            long dropped = (await client.GetServersAsync()).Single().EventsDropped;
            Assert.Equal(flood, Interlocked.Read(ref received) + dropped);
        }, Long);
        Assert.InRange(Interlocked.Read(ref received), 1, held + 1);
    }

    [Fact]
    public async Task Every_event_is_published_to_the_EventStream()
    {
        var server = await StartServerAsync();
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(AmiEventReceived));
        var client = await StartClientAsync(FastSettings(Definition(server)));

        await server.EmitEventAsync(UserEvent("stream"));

        var e = await NextEvent(probe, e => e.EventName == "UserEvent");
        Assert.Equal("pbx1", e.ServerId);
        Assert.Equal("stream", e.Event.Get("UserEvent"));
    }

    [Fact]
    public async Task The_event_source_delivers_events_of_one_server()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        var materializer = Sys.Materializer();

        var task = client.Events("pbx1", ["UserEvent"]).Take(3).RunWith(Sink.Seq<AmiEventReceived>(), materializer);
        await AwaitAssertAsync(async () =>
        {
            await server.EmitEventAsync(UserEvent("probe"));
            await Task.Delay(50);
            Assert.True(task.IsCompleted);
        }, Long, TimeSpan.FromMilliseconds(100));

        var events = await task;
        Assert.All(events, e => Assert.Equal("UserEvent", e.EventName));
    }

    [Fact]
    public async Task A_slow_stream_drops_the_oldest_events_and_counts_them_without_slowing_the_connection()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)));
        var materializer = Sys.Materializer();
        var gate = new TaskCompletionSource();
        var published = CreateTestProbe();
        Sys.EventStream.Subscribe(published.Ref, typeof(AmiEventReceived));

        // The first event waits at the gate; behind it the stream holds 4 and drops the oldest of the rest.
        var (subscribed, delivered) = client.Events("pbx1", ["UserEvent"], 4, OverflowStrategy.DropHead)
            .SelectAsync(1, async e => { await gate.Task; return e; })
            .TakeWhile(e => e.Event.Get("UserEvent") != "end")
            .ToMaterialized(Sink.Seq<AmiEventReceived>(), Keep.Both)
            .Run(materializer);
        await subscribed.WaitAsync(Long);
        var session = Assert.Single(server.Sessions);
        for (int i = 0; i < 50; i++)
        {
            await session.SendEventAsync(("Event", "UserEvent"), ("UserEvent", "n" + i));
        }
        // All 50 still reach the EventStream: the socket was drained.
        for (int i = 0; i < 50; i++)
        {
            await NextEvent(published, e => e.EventName == "UserEvent");
        }

        // At most the event at the gate and a buffer of 4 are held: at least 45 are dropped while the consumer is stuck.
        await AwaitAssertAsync(async () => Assert.True(Assert.Single(await client.GetServersAsync()).EventsDropped >= 45), Long);
        gate.SetResult();
        await session.SendEventAsync(("Event", "UserEvent"), ("UserEvent", "end"));
        var names = (await delivered.WaitAsync(Long)).Select(e => e.Event.Get("UserEvent")!).ToArray();
        long dropped = Assert.Single(await client.GetServersAsync()).EventsDropped;

        // Every event is either delivered or counted as dropped, exactly once; the oldest go first, so what is delivered after
        // the one at the gate is the newest, in order.
        Assert.Equal(50, names.Length + dropped);
        Assert.Equal("n0", names[0]);
        Assert.InRange(names.Length, 2, 5);
        Assert.Equal(names.Skip(1), Enumerable.Range(50 - (names.Length - 1), names.Length - 1).Select(i => "n" + i));
        Assert.True((await client.SendAsync("pbx1", Ping)).IsSuccess);
    }

    [Fact]
    public async Task A_stream_without_a_buffer_size_uses_the_configured_stream_buffer_size()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)) with { StreamBufferSize = 3 });
        var gate = new TaskCompletionSource();

        var (subscribed, done) = client.Events("pbx1", null, 0, OverflowStrategy.Fail)
            .SelectAsync(1, async e => { await gate.Task; return e; })
            .ToMaterialized(Sink.Ignore<AmiEventReceived>(), Keep.Both)
            .Run(Sys.Materializer());
        await subscribed.WaitAsync(Long);
        var session = Assert.Single(server.Sessions);
        // One event at the gate, three in the buffer, the fifth overflows it.
        for (int i = 0; i < 5; i++)
        {
            await session.SendEventAsync(("Event", "UserEvent"), ("UserEvent", "n" + i));
        }

        var overflow = await Assert.ThrowsAsync<BufferOverflowException>(() => done.WaitAsync(Long));
        Assert.Contains("buffer of 3 events", overflow.Message);
        gate.SetResult();
    }

    [Fact]
    public void A_negative_stream_buffer_size_is_refused()
    {
        var client = AmiClient.Start(Sys, FastSettings());
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Events("pbx1", bufferSize: -1));
    }

    [Fact]
    public async Task A_slow_subscriber_is_bounded_and_drops_are_counted()
    {
        var server = await StartServerAsync();
        var settings = FastSettings(Definition(server)) with { SubscriberBufferSize = 10, PublishToEventStream = false };
        var client = await StartClientAsync(settings);
        var blocker = new ManualResetEventSlim(false);
        var slow = Sys.ActorOf(Props.Create(() => new BlockingActor(blocker)));
        await client.SubscribeAsync(slow, "pbx1");

        await server.FloodEventsAsync(Assert.Single(server.Sessions), [UserEvent("flood")], 500);

        await AwaitAssertAsync(async () =>
        {
            var status = Assert.Single(await client.GetServersAsync());
            Assert.True(status.EventsDropped >= 480, $"dropped {status.EventsDropped}");
        }, Long);
        blocker.Set();
        Assert.True((await client.SendAsync("pbx1", Ping)).IsSuccess);
    }

    private sealed class BlockingActor : ReceiveActor
    {
        public BlockingActor(ManualResetEventSlim gate) => ReceiveAny(_ => gate.Wait(TimeSpan.FromSeconds(30)));
    }
}
