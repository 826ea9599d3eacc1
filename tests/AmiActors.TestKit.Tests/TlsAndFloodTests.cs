using System.Net.Security;
using AmiActors.Protocol;

namespace AmiActors.TestKit.Tests;

public class TlsAndFloodTests
{
    [Fact]
    public async Task TLS_serves_AMI_with_a_self_signed_certificate_made_at_run_time()
    {
        await using var server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { UseTls = true });
        Assert.NotNull(server.Certificate);
        X509CertificateInfo? seen = null;
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint, tls: true, validate: info => { seen = info; return true; });
        await client.LoginAsync(events: "off");
        Assert.Equal(server.Certificate!.GetCertHashString(), seen!.Value.Thumbprint);
        Assert.True(seen.Value.Errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.True(server.Sessions.Single().IsTls);
        Assert.Equal("Asterisk Call Manager/11.0.0", client.Frames[0].BannerText);
    }

    [Fact]
    public async Task Flooding_writes_exactly_the_requested_number_of_events_in_order()
    {
        var template = FakeEventTemplates.FromCaptureFile(Fixtures.Path("event-stream-2000.recv.txt"));
        var expected = AmiStreamDecoder.Decode(template);
        Assert.Equal(2000, expected.Count);
        await using var server = await FakeAsteriskServer.StartAsync();
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        var session = (await server.WaitForLoginsAsync(1)).Single();
        int count = 5_123;
        long bytes = await server.FloodEventsAsync(session, template, count);
        await session.SendEventAsync(("Event", "FloodDone"));
        await client.WaitForFrameAsync(f => f.EventName == "FloodDone", "the end marker");
        var events = client.Frames.Where(f => f.Kind == AmiMessageKind.Event && f.EventName != "FloodDone").ToList();
        Assert.Equal(count, events.Count);
        for (int i = 0; i < count; i += 997)
        {
            Assert.Equal(expected[i % 2000].Headers, events[i].Headers);
        }
        Assert.Equal(expected[(count - 1) % 2000].Headers, events[^1].Headers);
        Assert.Equal(bytes, events.Sum(e => (long)e.ToWireBytes().Length));
    }

    [Fact]
    public async Task Flooding_from_messages_goes_to_every_logged_in_session()
    {
        await using var server = await FakeAsteriskServer.StartAsync();
        await using var a = await RawAmiClient.ConnectAsync(server.EndPoint);
        await using var b = await RawAmiClient.ConnectAsync(server.EndPoint);
        await a.LoginAsync(events: "off");
        await b.LoginAsync(events: "off");
        await server.WaitForLoginsAsync(2);
        var templates = new[] { AmiMessage.Create(("Event", "A"), ("N", "1")), AmiMessage.Create(("Event", "B"), ("N", "2")) };
        await server.FloodEventsAsync(null, templates, 3);
        foreach (var client in new[] { a, b })
        {
            await client.WaitAsync(() => client.Frames.Count(f => f.Kind == AmiMessageKind.Event) == 3, "3 events");
            Assert.Equal(["A", "B", "A"], client.Frames.Where(f => f.Kind == AmiMessageKind.Event).Select(f => f.EventName));
        }
    }

    [Fact]
    public async Task A_flood_template_that_is_not_whole_frames_is_refused()
    {
        await using var server = await FakeAsteriskServer.StartAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => server.FloodEventsAsync(null, "Event: A\r\n"u8.ToArray(), 1));
    }
}
