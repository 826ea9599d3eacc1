using System.Globalization;
using System.Text;
using Akka.IO;
using AmiActors.Actors;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary><c>ami.connection.read-buffer-size</c>: Akka.IO's per-connection read size, and frames intact at every size.</summary>
public class ReadBufferTests : RuntimeTestBase
{
    public ReadBufferTests(ITestOutputHelper output) : base(output)
    {
    }

    [Fact]
    public void A_connection_reads_up_to_its_read_buffer_size_and_Akka_IO_keeps_its_buffers_at_least_twice_that()
    {
        var system = TcpSettings.Create(Sys);
        Assert.Equal(4096, system.MaxFrameSizeBytes); // Akka.IO's default: what the setting replaces

        var large = AmiTransport.ForConnection(system, 65536);
        Assert.Equal(65536, large.MaxFrameSizeBytes);
        Assert.Equal(131072, large.ReceiveBufferSize);
        Assert.Equal(131072, large.SendBufferSize);

        var small = AmiTransport.ForConnection(system, 512);
        Assert.Equal(512, small.MaxFrameSizeBytes);
        Assert.Equal(system.ReceiveBufferSize, small.ReceiveBufferSize);
        Assert.Equal(system.SendBufferSize, small.SendBufferSize);
        Assert.Equal(system.RegisterTimeout, small.RegisterTimeout);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(32768)]
    [InlineData(1048576)]
    public async Task Events_in_one_burst_arrive_whole_and_in_order_whatever_the_read_size(int readBufferSize)
    {
        const int count = 2000;
        var server = await StartServerAsync();
        var client = await StartClientAsync(FastSettings(Definition(server)) with { ReadBufferSize = readBufferSize });
        var probe = CreateTestProbe();
        await client.SubscribeAsync(probe.Ref, "pbx1", "UserEvent");

        // One write: small events around one of 300 KB, so every read size splits frames somewhere and the large one spans many reads.
        string large = new string('x', 300_000);
        var burst = new StringBuilder();
        for (int i = 1; i <= count; i++)
        {
            burst.Append("Event: UserEvent\r\nUserEvent: burst\r\nSeq: ").Append(i).Append("\r\n");
            if (i == count / 2)
            {
                burst.Append("Payload: ").Append(large).Append("\r\n");
            }
            burst.Append("\r\n");
        }
        await server.EmitRawAsync(Encoding.ASCII.GetBytes(burst.ToString()));

        for (int i = 1; i <= count; i++)
        {
            var e = (await probe.ExpectMsgAsync<AmiEventReceived>(Long)).Event;
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), e.Get("Seq"));
            Assert.Equal(i == count / 2 ? large : null, e.Get("Payload"));
        }
        var pong = await client.SendAsync("pbx1", Ping);
        Assert.True(pong.IsSuccess);
    }
}
