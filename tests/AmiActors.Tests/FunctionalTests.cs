using Akka.TestKit;
using AmiActors.Protocol;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>A fact that runs only when AMI_URL (<c>tcp://user:secret@host:port</c>, or <c>tls://...</c>) names a real Asterisk.</summary>
public sealed class AsteriskFactAttribute : FactAttribute
{
    public AsteriskFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("AMI_URL")))
        {
            Skip = "AMI_URL is not set (tcp://user:secret@host:port): no real Asterisk to test against.";
        }
    }
}

[Trait("Category", "Functional")]
public class FunctionalTests(ITestOutputHelper output) : RuntimeTestBase(output)
{
    private static AmiServerDefinition FromUrl()
    {
        var uri = new Uri(Environment.GetEnvironmentVariable("AMI_URL")!);
        var user = uri.UserInfo.Split(':', 2);
        bool tls = uri.Scheme is "tls" or "ssl";
        return new AmiServerDefinition("real", uri.Host, uri.Port > 0 ? uri.Port : tls ? 5039 : 5038, Uri.UnescapeDataString(user[0]), Uri.UnescapeDataString(user.Length > 1 ? user[1] : ""))
        {
            UseTls = tls,
            AcceptInvalidCertificate = tls,
        };
    }

    private async Task<AmiClient> ConnectAsync(AmiAuthType auth = AmiAuthType.Plain) =>
        await StartClientAsync(FastSettings(FromUrl() with { AuthType = auth }));

    [AsteriskFact]
    public async Task Logs_in_with_plain_and_md5_and_answers_Ping()
    {
        var client = await ConnectAsync(AmiAuthType.Md5);
        var result = await client.SendAsync("real", new AmiAction("Ping"));
        Assert.Equal("Pong", result.Response.Get("Ping"));
    }

    [AsteriskFact]
    public async Task Command_core_show_version_returns_output_lines()
    {
        var client = await ConnectAsync();
        var result = await client.SendAsync("real", new AmiAction("Command", ("Command", "core show version")));
        Assert.Contains(result.CommandOutput, l => l.StartsWith("Asterisk ", StringComparison.Ordinal));
    }

    [AsteriskFact]
    public async Task CoreShowChannels_completes_its_list()
    {
        var client = await ConnectAsync();
        var result = await client.SendAsync("real", new AmiAction("CoreShowChannels"));
        Assert.NotNull(result.Complete);
        Assert.Equal(result.Events.Count, result.Complete!.ListItems);
    }

    [AsteriskFact]
    public async Task A_UserEvent_comes_back_to_a_subscriber()
    {
        var client = await ConnectAsync();
        var probe = CreateTestProbe();
        await client.SubscribeAsync(probe.Ref, "real", "UserEvent");
        string marker = "amiactors-" + Guid.NewGuid().ToString("N")[..8];

        await client.SendAsync("real", new AmiAction("UserEvent", ("UserEvent", marker), ("Data", "functional")));

        var e = await probe.FishForMessageAsync<AmiEventReceived>(e => e.Event.Get("UserEvent") == marker, Long);
        Assert.Equal("functional", e.Event.Get("Data"));
    }
}
