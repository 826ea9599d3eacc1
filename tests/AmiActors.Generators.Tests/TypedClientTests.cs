using AmiActors.Actions;
using AmiActors.Events;
using AmiActors.TestKit;

namespace AmiActors.Generators.Tests;

/// <summary>The typed API end to end: the AmiClient over real TCP to the fake Asterisk.</summary>
public class TypedClientTests : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private FakeAsteriskServer? _server;

    public TypedClientTests()
        : base("akka.loglevel = WARNING\nakka.log-dead-letters = off")
    {
    }

    public async Task InitializeAsync() =>
        _server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { FailedLoginDelay = TimeSpan.FromMilliseconds(50) });

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_list_action_returns_typed_items_against_the_fake_server()
    {
        _server!.AddChannel(new FakeChannel("PJSIP/100-00000001") { Context = "sales", Exten = "100", Priority = 3, State = 6, StateDesc = "Up" });
        _server.AddChannel(new FakeChannel("PJSIP/200-00000002") { Context = "sales", Exten = "200", Priority = 1, State = 5, StateDesc = "Ringing" });
        var client = await StartClientAsync();

        AmiListResult<CoreShowChannelEvent> list = await client.SendListAsync("pbx1", new CoreShowChannelsAction(), Long);

        Assert.Equal(2, list.Items.Count);
        Assert.Equal(2, list.ListItems);
        Assert.Equal(["PJSIP/100-00000001", "PJSIP/200-00000002"], list.Items.Select(c => c.Channel).Order());
        var first = list.Items.Single(c => c.Channel == "PJSIP/100-00000001");
        Assert.Equal(3, first.Priority);
        Assert.Equal(6, first.ChannelState);
        Assert.Equal("sales", first.Context);
        Assert.IsType<CoreShowChannelsCompleteEvent>(list.Complete);
        Assert.All(list.Items, i => Assert.Equal("pbx1", i.ServerId));
    }

    [Fact]
    public async Task SubscribeAsync_of_HangupEvent_delivers_only_typed_hangups()
    {
        var client = await StartClientAsync();
        var probe = CreateTestProbe();
        await client.SubscribeAsync<HangupEvent>(probe.Ref, "pbx1");

        await _server!.EmitEventAsync(("Event", "Newchannel"), ("Channel", "PJSIP/1-00000001"));
        await _server.EmitEventAsync(("Event", "Hangup"), ("Channel", "PJSIP/1-00000001"), ("Cause", "16"), ("Cause-txt", "Normal Clearing"));

        var hangup = await probe.ExpectMsgAsync<HangupEvent>(Long);
        Assert.Equal(16, hangup.Cause);
        Assert.Equal("Normal Clearing", hangup.CauseTxt);
        Assert.Equal("pbx1", hangup.ServerId);
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task SubscribeAsync_of_the_base_type_delivers_every_event_typed_and_unknown_types_are_refused()
    {
        var client = await StartClientAsync();
        var probe = CreateTestProbe();
        await client.SubscribeAsync<AmiEventReceived>(probe.Ref, "pbx1");
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubscribeAsync<NotACatalogEvent>(probe.Ref, "pbx1"));

        await _server!.EmitEventAsync(("Event", "Newchannel"), ("Channel", "PJSIP/1-00000001"), ("ChannelState", "4"));
        await _server.EmitEventAsync(("Event", "SomethingUndocumented"), ("X", "1"));

        var first = await probe.FishForMessageAsync<AmiEventReceived>(e => e.EventName == "Newchannel", Long);
        Assert.Equal(4, Assert.IsType<NewchannelEvent>(first).ChannelState);
        var second = await probe.FishForMessageAsync<AmiEventReceived>(e => e.EventName == "SomethingUndocumented", Long);
        Assert.Equal(typeof(AmiEventReceived), second.GetType());

        await client.UnsubscribeAsync<AmiEventReceived>(probe.Ref, "pbx1");
    }

    [Fact]
    public async Task A_typed_async_Originate_reports_a_typed_OriginateResponse()
    {
        var client = await StartClientAsync();
        var result = await client.SendAsync("pbx1", new OriginateAction("PJSIP/100") { Context = "test", Exten = "100", Priority = 1, Async = true, Timeout = TimeSpan.FromSeconds(5) }, Long);
        var response = Assert.IsType<OriginateResponseEvent>(AmiEventReceived.Create(result.ServerId, result.OriginateResponse!));
        Assert.Equal(OriginateResponseResponse.Success, response.Response);
        Assert.Equal(4, response.Reason);
        var sent = await _server!.WaitForActionAsync("Originate", timeout: Long);
        Assert.Equal("true", sent.Message.Get("Async"));
        Assert.Equal("5000", sent.Message.Get("Timeout"));
    }

    private sealed record NotACatalogEvent(string ServerId, AmiActors.Protocol.AmiMessage Event) : AmiEventReceived(ServerId, Event);

    private async Task<AmiClient> StartClientAsync()
    {
        var settings = AmiSettings.Default with
        {
            MinBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromMilliseconds(500),
            HeartbeatInterval = null,
            Servers = [new AmiServerDefinition("pbx1", "127.0.0.1", _server!.Port, "admin", "amp111")],
        };
        var client = AmiClient.Start(Sys, settings);
        var deadline = DateTime.UtcNow + Long;
        while (!(await client.GetServersAsync()).Any(s => s.ServerId == "pbx1" && s.State == AmiConnectionState.Connected))
        {
            Assert.True(DateTime.UtcNow < deadline, "the client did not connect to the fake server");
            await Task.Delay(20);
        }
        return client;
    }
}
