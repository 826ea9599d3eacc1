using System.Globalization;
using Akka.Actor;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests.Fault;

/// <summary>Awkward delivery: one byte at a time, everything in one read, subscribers that cannot keep up.</summary>
[Trait("Category", "Fault")]
public class DeliveryFaultTests(ITestOutputHelper output)
    : FaultTestBase(output, "fault-tests.blocking-dispatcher { type = PinnedDispatcher }")
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_long_session_delivered_one_byte_at_a_time_arrives_intact(bool tls)
    {
        var server = await StartServerAsync(tls ? new FakeAsteriskOptions { UseTls = true } : null);
        server.Faults.DeliverByteByByte = true;
        var client = await StartClientAsync(Fast());
        var events = CreateTestProbe();
        await client.SubscribeAsync(events.Ref, "pbx1", "UserEvent");
        await client.AddServerAsync(Definition(server, authType: AmiAuthType.Md5));
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);

        const int count = 150;
        var sent = Enumerable.Range(1, count).Select(i => AmiMessage.Create(
            ("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", "bytewise"), ("Seq", i.ToString(CultureInfo.InvariantCulture)),
            ("CallerIDName", "Jürgen Ñandú \\\"quoted\\\""), ("Variable", "a=1"), ("Variable", "b=" + i), ("Empty", ""))).ToArray();
        var pings = new List<Task<AmiActionResult>>();
        for (int i = 0; i < count; i++)
        {
            await server.EmitEventAsync(sent[i]);
            if (i % 10 == 0)
            {
                pings.Add(client.SendAsync("pbx1", new AmiAction("Ping"), TimeSpan.FromSeconds(60)));
            }
        }

        for (int i = 0; i < count; i++)
        {
            var got = await events.ExpectMsgAsync<AmiEventReceived>(Long);
            Assert.Equal(sent[i].Headers, got.Event.Headers);
        }
        foreach (var ping in pings)
        {
            var reply = await ping.WaitAsync(Long);
            Assert.Equal("Pong", reply.Response.Get("Ping"));
        }
        Assert.Equal(1, server.ConnectionCount);
    }

    [Theory]
    [InlineData(AmiAuthType.Plain)]
    [InlineData(AmiAuthType.Md5)]
    public async Task A_busy_server_writing_the_login_response_and_hundreds_of_events_in_one_write_loses_nothing(AmiAuthType authType)
    {
        const int count = 300;
        // No FullyBooted or SuccessfulAuth: the first UserEvents follow the login response directly, in the same read.
        var server = await StartServerAsync(new FakeAsteriskOptions
        {
            FailedLoginDelay = TimeSpan.FromMilliseconds(50),
            SendFullyBooted = false,
            SendSuccessfulAuth = false,
        });
        server.OnAction("Login", async ctx =>
        {
            // Hold the writer: the login response, FullyBooted, SuccessfulAuth and the events leave in one write.
            using (ctx.Session.HoldWrites())
            {
                await ctx.RunBuiltInAsync();
                if (ctx.Session.IsAuthenticated)
                {
                    for (int i = 1; i <= count; i++)
                    {
                        await ctx.SendRawAsync(UserEvent("busy", i));
                    }
                }
            }
            return null;
        });
        var client = await StartClientAsync(Fast());
        var events = CreateTestProbe();
        await client.SubscribeAsync(events.Ref, "pbx1", "UserEvent");
        await client.AddServerAsync(Definition(server, authType: authType));

        for (int i = 1; i <= count; i++)
        {
            var e = await events.ExpectMsgAsync<AmiEventReceived>(Long);
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), e.Event.Get("Seq"));
        }
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);
        Assert.Equal(1, server.ConnectionCount);
        Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
    }

    [Fact]
    public async Task A_slow_subscriber_loses_counted_events_while_the_connection_and_other_subscribers_are_unaffected()
    {
        const int count = 20_000;
        var server = await StartServerAsync();
        var client = await StartClientAsync(Fast() with { SubscriberBufferSize = 5_000, PublishToEventStream = false });
        using var gate = new ManualResetEventSlim(false);
        var slowCount = new Counter();
        var fastCount = new Counter();
        var slow = Sys.ActorOf(Props.Create(() => new CountingActor(slowCount, gate)).WithDispatcher("fault-tests.blocking-dispatcher"), "slow");
        var fast = Sys.ActorOf(Props.Create(() => new CountingActor(fastCount, null)), "fast");
        await client.SubscribeAsync(slow, "pbx1", "UserEvent");
        await client.SubscribeAsync(fast, "pbx1", "UserEvent");
        await client.AddServerAsync(Definition(server));
        await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);

        try
        {
            var template = AmiMessage.Create(("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", "flood"));
            // In batches smaller than the subscriber buffer, waiting for the fast subscriber between them: on a loaded
            // machine a merely fast actor may otherwise fall a whole buffer behind and (rightly) lose events too.
            const int batch = 4_000;
            for (int sent = batch; sent <= count; sent += batch)
            {
                await server.FloodEventsAsync(null, [template], batch);
                int expected = sent;
                await AwaitConditionAsync(() => Task.FromResult(fastCount.Value == expected), Long);
            }
            var status = await StatusAsync(client);
            Assert.True(status.EventsDropped >= count - 5_001 - 1, $"dropped {status.EventsDropped}");
            // The connection never stalled on the slow subscriber.
            Assert.Equal(AmiConnectionState.Connected, status.State);
            Assert.True((await client.SendAsync("pbx1", new AmiAction("Ping"))).IsSuccess);
            Assert.Equal(1, server.ConnectionCount);
        }
        finally
        {
            gate.Set();
        }

        // Every event is either delivered to the slow subscriber or counted as dropped: nothing vanishes silently.
        var dropped = (await StatusAsync(client)).EventsDropped;
        await AwaitConditionAsync(() => Task.FromResult(slowCount.Value + dropped == count), Long);
        Assert.Equal(count, fastCount.Value);
    }

    private sealed class Counter
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);
    }

    private sealed class CountingActor : ReceiveActor
    {
        public CountingActor(Counter counter, ManualResetEventSlim? gate)
        {
            Receive<AmiEventReceived>(_ =>
            {
                // A subscriber that cannot keep up: it blocks its own (pinned) thread until the test opens the gate.
                gate?.Wait();
                counter.Increment();
            });
        }
    }
}
