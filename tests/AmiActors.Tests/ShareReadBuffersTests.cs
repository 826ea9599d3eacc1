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
    [InlineData(true)]
    [InlineData(false)]
    public async Task Events_lists_commands_and_responses_arrive_intact_with_the_setting_on_and_off(bool share)
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
        if (share)
        {
            // Only the frames cut by a read boundary are copied.
            Assert.True(shared > flood / 2, $"{shared} of {flood} events shared their read");
        }
        else
        {
            Assert.Equal(0, shared);
        }
        var detached = received[^1].Detach();
        Assert.False(detached.SharesReadBuffer);
        Assert.Equal(received[^1].ToWireBytes(), detached.ToWireBytes());

        var pong = await client.SendAsync("pbx1", Ping);
        Assert.True(pong.IsSuccess);
        Assert.Equal(share, pong.Response.SharesReadBuffer);
        var command = await client.SendAsync("pbx1", new AmiAction("Command", ("Command", "core show version")));
        Assert.Contains(command.CommandOutput, line => line.Contains("Asterisk 22.10.1", StringComparison.Ordinal));
        var list = await client.SendAsync("pbx1", new AmiAction("CoreShowChannels"));
        Assert.True(list.Response.IsListStart);
        Assert.NotNull(list.Complete);
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
