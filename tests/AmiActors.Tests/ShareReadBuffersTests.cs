using System.Globalization;
using System.Text;
using Akka.IO;
using AmiActors.Actors;
using AmiActors.Protocol;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>
/// <c>ami.connection.share-read-buffers</c>: messages reference Akka.IO's read arrays instead of copies, against the
/// fake server over real TCP, and the private Akka layout this relies on.
/// </summary>
public class ShareReadBuffersTests(ITestOutputHelper output) : RuntimeTestBase(output)
{
    private static byte[] NumberedEvents(int count)
    {
        var text = new StringBuilder();
        for (int i = 1; i <= count; i++)
        {
            text.Append("Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: flood\r\nChannel: PJSIP/").Append(1000 + i)
                .Append("-0000abcd\r\nSeq: ").Append(i).Append("\r\n\r\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    [Theory]
    [InlineData(AmiReadBufferSharing.On)]
    [InlineData(AmiReadBufferSharing.Off)]
    [InlineData(AmiReadBufferSharing.Auto)]
    public async Task Events_lists_commands_and_responses_arrive_intact_with_every_setting(AmiReadBufferSharing share)
    {
        const int templates = 100;
        const int flood = 3000;
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)) with { ShareReadBuffers = share, PublishToEventStream = false });
        var probe = CreateTestProbe();
        await client.SubscribeAsync(probe.Ref, "pbx1", "UserEvent");

        await server.FloodEventsAsync(null, NumberedEvents(templates), flood);

        var received = new List<AmiMessage>(flood);
        for (int i = 0; i < flood; i++)
        {
            received.Add((await probe.ExpectMsgAsync<AmiEventReceived>(Long)).Event);
        }
        for (int i = 0; i < flood; i++)
        {
            int n = i % templates + 1;
            var e = received[i];
            Assert.Equal(n.ToString(CultureInfo.InvariantCulture), e.Get("Seq"));
            Assert.Equal($"PJSIP/{1000 + n}-0000abcd", e["Channel"]);
            Assert.Equal("flood", e.Get("UserEvent"));
            Assert.Equal(5, e.Count);
        }
        int shared = received.Count(m => m.SharesReadBuffer);
        switch (share)
        {
            case AmiReadBufferSharing.On:
                // Only the frames cut by a read boundary are copied.
                Assert.True(shared > flood / 2, $"{shared} of {flood} events shared their read");
                break;
            case AmiReadBufferSharing.Auto:
                // A flood's reads carry many events each: copied (a read of one or two events at its end may be shared).
                Assert.True(shared < flood / 10, $"{shared} of {flood} events shared their read");
                break;
            default:
                Assert.Equal(0, shared);
                break;
        }
        var detached = received[^1].Detach();
        Assert.False(detached.SharesReadBuffer);
        Assert.Equal(received[^1].ToWireBytes(), detached.ToWireBytes());

        var pong = await client.SendAsync("pbx1", Ping);
        Assert.True(pong.IsSuccess);
        // The response arrives alone in its read: shared unless sharing is off.
        Assert.Equal(share != AmiReadBufferSharing.Off, pong.Response.SharesReadBuffer);
        var command = await client.SendAsync("pbx1", new AmiAction("Command", ("Command", "core show version")));
        Assert.Contains(command.CommandOutput, line => line.Contains("Asterisk 22.10.1", StringComparison.Ordinal));
        var list = await client.SendAsync("pbx1", new AmiAction("CoreShowChannels"));
        Assert.True(list.Response.IsListStart);
        Assert.NotNull(list.Complete);
    }

    [Fact]
    public async Task By_default_an_event_alone_in_its_read_shares_it_and_keeps_nothing_more_alive()
    {
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)) with { PublishToEventStream = false });
        Assert.Equal(AmiReadBufferSharing.Auto, AmiSettings.Default.ShareReadBuffers);
        var probe = CreateTestProbe();
        await client.SubscribeAsync(probe.Ref, "pbx1", "UserEvent");

        var events = NumberedEvents(20);
        var frames = Encoding.ASCII.GetString(events).Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < frames.Length; i++)
        {
            // One event per write, each waited for: each arrives in a read of its own, as from a real Asterisk.
            await server.EmitRawAsync(Encoding.ASCII.GetBytes(frames[i] + "\r\n\r\n"));
            var e = (await probe.ExpectMsgAsync<AmiEventReceived>(Long)).Event;
            Assert.Equal((i + 1).ToString(CultureInfo.InvariantCulture), e.Get("Seq"));
            Assert.True(e.SharesReadBuffer, $"event {i + 1} was copied");
            Assert.Equal(e.ToWireBytes(), e.Detach().ToWireBytes());
        }
    }

    [Fact]
    public void Akka_ByteString_keeps_a_compact_read_in_one_array_segment_named_buffers()
    {
        // Pins the private layout (Akka 1.5: ArraySegment<byte>[] _buffers) that share-read-buffers reads. If this fails
        // after an Akka upgrade, the connection silently falls back to copying: update ByteStringArrays.
        var array = Encoding.ASCII.GetBytes("..Event: X\r\n\r\n..");
        var data = ByteString.CopyFrom(array, 2, array.Length - 4);
        Assert.True(ByteStringArrays.TryGetSegment(data, out var segment));
        Assert.True(ByteStringArrays.Available);
        Assert.Equal(data.Count, segment.Count);
        Assert.Equal(data.ToArray(), segment.AsSpan().ToArray());
        Assert.True(data.ToReadOnlySpan() == segment.AsSpan(), "the segment must be the ByteString's own memory, not a copy");

        var fresh = ByteString.FromBytes(Encoding.ASCII.GetBytes("Event: Y\r\n\r\n"));
        Assert.True(ByteStringArrays.TryGetSegment(fresh, out var whole));
        Assert.True(fresh.ToReadOnlySpan() == whole.AsSpan());
    }

    [Fact]
    public void A_ByteString_of_several_segments_or_none_does_not_qualify()
    {
        var joined = ByteString.FromBytes(Encoding.ASCII.GetBytes("Event: A\r\n")).Concat(ByteString.FromBytes(Encoding.ASCII.GetBytes("\r\n")));
        Assert.False(joined.IsCompact);
        Assert.False(ByteStringArrays.TryGetSegment(joined, out _));
        Assert.False(ByteStringArrays.TryGetSegment(ByteString.Empty, out _));
    }
}
