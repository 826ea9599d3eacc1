using Akka.Actor;
using Akka.Configuration;
using AmiActors.Protocol;
using CsCheck;
using static AmiActors.Cluster.AmiClusterProtocol;

namespace AmiActors.Cluster.Tests;

public sealed class SerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("ser", ConfigurationFactory.ParseString("akka.actor.serialization-settings.allow-unregistered-types = off")
        .WithFallback(AmiCluster.DefaultConfig));

    public void Dispose() => _system.Dispose();

    private T RoundTrip<T>(T message) where T : notnull
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        Assert.IsType<AmiClusterSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var bytes = serializer.ToBinary(message);
        return Assert.IsType<T>(_system.Serialization.Deserialize(bytes, serializer.Identifier, manifest), exactMatch: false);
    }

    private static AmiMessage Event(string name, int seq) => AmiMessage.Create(("Event", name), ("Privilege", "call,all"), ("Channel", "PJSIP/100-0000001"), ("Seq", seq.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static void SameFrame(AmiMessage expected, AmiMessage actual) => Assert.Equal(expected.ToWireBytes(), actual.ToWireBytes());

    [Fact]
    public void A_typed_event_travels_as_its_server_id_and_frame_bytes_and_comes_back_as_the_same_typed_class()
    {
        var e = AmiEventReceived.Create("pbx1", Event("Hangup", 1));
        Assert.NotEqual(typeof(AmiEventReceived), e.GetType());
        var back = RoundTrip(e);
        Assert.Equal(e.GetType(), back.GetType());
        Assert.Equal("pbx1", back.ServerId);
        SameFrame(e.Event, back.Event);
        // Compact: the frame plus a few bytes, not a JSON document.
        Assert.True(_system.Serialization.FindSerializerFor(e).ToBinary(e).Length < e.Event.ByteSize + 32);
    }

    [Fact]
    public void Events_that_share_their_read_buffer_round_trip_like_copied_ones_legacy_command_body_included()
    {
        var wire = System.Text.Encoding.ASCII.GetBytes(
            "Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP/100-0000001\r\nCause: 16\r\n\r\n" +
            "Response: Follows\r\nPrivilege: Command\r\nActionID: c-1\r\nline one\nline two\r\n--END COMMAND--\r\n\r\n");
        var parser = new AmiParser(new AmiParserOptions { ExpectBanner = false });
        var segment = new ArraySegment<byte>(wire);
        var shared = new List<AmiMessage>();
        while (parser.ReadShared(ref segment, out var m, out _) == AmiReadStatus.Message)
        {
            shared.Add(m!);
        }
        Assert.Equal(2, shared.Count);
        Assert.All(shared, m => Assert.True(m.SharesReadBuffer));
        var e = RoundTrip(AmiEventReceived.Create("pbx1", shared[0]));
        SameFrame(shared[0], e.Event);
        Assert.Equal("16", e.Event["Cause"]);
        var command = RoundTrip(AmiEventReceived.Create("pbx1", shared[1]));
        SameFrame(shared[1], command.Event);
        Assert.Equal(["line one", "line two"], command.Event.CommandOutput);
    }

    [Fact]
    public void An_event_batch_round_trips_in_order_with_its_typed_classes()
    {
        var batch = new EventBatch("pbx1", Enumerable.Range(0, 5).Select(i => AmiEventReceived.Create("pbx1", Event(i % 2 == 0 ? "Hangup" : "MyOwnEvent", i))).ToList());
        var back = RoundTrip(batch);
        Assert.Equal("pbx1", back.ServerId);
        Assert.Equal(batch.Events.Select(e => e.GetType()), back.Events.Select(e => e.GetType()));
        Assert.Equal(batch.Events.Select(e => e.Event.Get("Seq")), back.Events.Select(e => e.Event.Get("Seq")));
        Assert.All(back.Events, e => Assert.Equal("pbx1", e.ServerId));
    }

    [Fact]
    public void Any_event_frame_round_trips_unchanged()
    {
        var text = Gen.String[Gen.Char['!', '~'], 1, 40];
        var value = Gen.String[Gen.Char[' ', '~'], 0, 60];
        Gen.Select(Gen.String[Gen.Char['a', 'z'], 1, 12], Gen.Select(text, value).Array[0, 8]).Sample((name, headers) =>
        {
            var pairs = new[] { ("Event", name) }.Concat(headers.Select(h => (h.Item1.Replace(":", "", StringComparison.Ordinal).Trim() is { Length: > 0 } n ? n : "X", h.Item2))).ToArray();
            var msg = AmiMessage.Create(pairs);
            var back = RoundTrip(AmiEventReceived.Create("s", msg));
            SameFrame(msg, back.Event);
        }, iter: 300);
    }

    [Fact]
    public void Actions_results_and_failures_round_trip()
    {
        var send = new AmiManager.SendAction("pbx2", new AmiAction("Originate", ("Channel", "PJSIP/100"), ("Variable", "a=1"), ("Variable", "b=2")), TimeSpan.FromSeconds(7));
        var s = RoundTrip(send);
        Assert.Equal(send.ServerId, s.ServerId);
        Assert.Equal(send.Action, s.Action);
        Assert.Equal(send.Action.Headers, s.Action.Headers);
        Assert.Equal(send.Timeout, s.Timeout);
        Assert.Null(RoundTrip(send with { Timeout = null }).Timeout);

        var es = RoundTrip(new EntitySend(42, send));
        Assert.Equal(42, es.RequestId);
        Assert.Equal(send.Action.Headers, es.Send.Action.Headers);

        var result = new AmiActionResult("pbx2", "7", AmiMessage.Create(("Response", "Success"), ("ActionID", "7"), ("EventList", "start")),
            [Event("PeerEntry", 1), Event("PeerEntry", 2)], AmiMessage.Create(("Event", "PeerlistComplete"), ("EventList", "Complete"), ("ListItems", "2")));
        foreach (var r in new[] { RoundTrip(result), RoundTrip(new EntityReplied(9, result)).Result })
        {
            Assert.Equal(result.ServerId, r.ServerId);
            Assert.Equal(result.ActionId, r.ActionId);
            SameFrame(result.Response, r.Response);
            Assert.Equal(2, r.Events.Count);
            SameFrame(result.Events[1], r.Events[1]);
            SameFrame(result.Complete!, r.Complete!);
        }
        var noComplete = RoundTrip(result with { Events = [], Complete = null });
        Assert.Null(noComplete.Complete);
        Assert.Empty(noComplete.Events);

        Exception[] failures =
        [
            new UnknownServerException("pbx9"),
            new AmiActionTimeoutException("pbx2", "Ping", "5", TimeSpan.FromMilliseconds(1500), "the response"),
            new AmiNotConnectedException("pbx2", "Ping", AmiConnectionState.Reconnecting),
            new AmiBackpressureException("pbx2", "Ping", "max-in-flight", 10),
            new AmiOutcomeUnknownException("pbx2", "Originate", "node gone"),
            new AmiException("something else"),
        ];
        foreach (var failure in failures)
        {
            var back = RoundTrip(new EntityFailed(3, ActionFailure.From(failure, "pbx2"))).Failure.ToException("Ping");
            Assert.Equal(failure.GetType(), back.GetType());
            Assert.Equal(failure.Message, back.Message);
        }
        var lost = RoundTrip(new EntityFailed(4, ActionFailure.From(new AmiConnectionLostException("pbx2", "Originate", "socket closed"), "pbx2"))).Failure.ToException("Originate");
        var unknown = Assert.IsType<AmiOutcomeUnknownException>(lost);
        Assert.IsType<AmiConnectionLostException>(unknown.InnerException);
    }

    [Fact]
    public void A_command_response_with_its_legacy_body_round_trips()
    {
        var frames = AmiStreamDecoder.Decode("Response: Follows\r\nPrivilege: Command\r\nActionID: 1\r\nline one\nline two\n--END COMMAND--\r\n\r\n"u8, new AmiParserOptions { ExpectBanner = false });
        var response = Assert.Single(frames);
        Assert.True(response.HasLegacyBody);
        var back = RoundTrip(new AmiActionResult("pbx1", "1", response, []));
        Assert.Equal(response.CommandOutput, back.Response.CommandOutput);
        SameFrame(response, back.Response);
    }

    [Fact]
    public void States_definitions_subscriptions_and_admin_messages_round_trip()
    {
        var change = new ConnectionStateChanged("pbx1", AmiConnectionState.Connected, AmiConnectionState.Reconnecting, "socket closed");
        Assert.Equal(change, RoundTrip(change));
        Assert.Equal(change with { Reason = null }, RoundTrip(change with { Reason = null }));
        var state = new ServerState("pbx1", AmiConnectionState.Connecting, AmiConnectionState.Connected, null, "akka.tcp://a@127.0.0.1:1", "11.0.0", 3);
        Assert.Equal(state, RoundTrip(state));
        Assert.Equal(new GetServerState("pbx1"), RoundTrip(new GetServerState("pbx1")));
        Assert.Same(HandOff.Instance, RoundTrip(HandOff.Instance));

        var server = new AmiClusterServer("pbx1", "10.0.0.1", 5038, "admin", "env:PBX1_SECRET")
        {
            AuthType = AmiAuthType.Md5, UseTls = true, AcceptInvalidCertificate = true, TlsServerName = "pbx.example", EventMask = "call,agent",
            ConnectTimeout = TimeSpan.FromSeconds(3), LoginTimeout = null, ActionTimeout = TimeSpan.FromSeconds(9),
        };
        Assert.Equal(server, RoundTrip(server));

        var probe = _system.ActorOf(Props.Empty, "probe");
        var sub = RoundTrip(new AmiManager.Subscribe(probe, "pbx1", ["Hangup", "Newchannel"]));
        Assert.Equal(probe, sub.Subscriber);
        Assert.Equal(["Hangup", "Newchannel"], sub.EventNames!);
        Assert.Null(RoundTrip(new AmiManager.Subscribe(probe)).EventNames);
        Assert.Equal(probe, RoundTrip(new AmiManager.Unsubscribe(probe, null, null)).Subscriber);
        Assert.Equal(new AmiManager.Subscribed(probe), RoundTrip(new AmiManager.Subscribed(probe)));
        Assert.Equal(new AmiManager.Unsubscribed(probe), RoundTrip(new AmiManager.Unsubscribed(probe)));
        Assert.Equal(new AmiManager.SubscribeConnectionState(probe, "pbx1"), RoundTrip(new AmiManager.SubscribeConnectionState(probe, "pbx1")));
        Assert.Equal(new AmiManager.RemoveServer("pbx1"), RoundTrip(new AmiManager.RemoveServer("pbx1")));
        Assert.Equal(new AmiManager.ServerRemoved("pbx1"), RoundTrip(new AmiManager.ServerRemoved("pbx1")));
        Assert.Equal(new AmiManager.ServerAdded("pbx1"), RoundTrip(new AmiManager.ServerAdded("pbx1")));
        Assert.Same(AmiManager.GetServers.Instance, RoundTrip(AmiManager.GetServers.Instance));
        var statuses = RoundTrip(new AmiManager.GetServersResult([new AmiServerStatus("pbx1", AmiConnectionState.Connected, "11.0.0", 2) { Node = "akka.tcp://a@h:1" }]));
        Assert.Equal("akka.tcp://a@h:1", Assert.Single(statuses.Servers).Node);
        Assert.Equal(new AmiServerStatus("pbx1", AmiConnectionState.Connected, "11.0.0", 2) { Node = "akka.tcp://a@h:1" }, statuses.Servers[0]);
    }

    [Fact]
    public void A_server_definition_with_its_secret_cannot_be_serialized_and_a_secret_in_clear_is_not_replicated()
    {
        var add = new AmiManager.AddServer(new AmiServerDefinition("pbx1", "h", 5038, "admin", "s3cret"));
        var error = Assert.ThrowsAny<Exception>(() => _system.Serialization.FindSerializerFor(add).ToBinary(add));
        Assert.DoesNotContain("s3cret", error.ToString(), StringComparison.Ordinal);
        var refused = Assert.Throws<AmiConfigurationException>(() => AmiClusterServer.FromDefinition(add.Server));
        Assert.DoesNotContain("s3cret", refused.Message, StringComparison.Ordinal);
        Assert.Equal("env:X", AmiClusterServer.FromDefinition(add.Server with { Secret = "env:X" }).SecretRef);
    }
}
