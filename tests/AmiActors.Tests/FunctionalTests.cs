using Akka.TestKit;
using AmiActors.Actions;
using AmiActors.Protocol;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>
/// A fact that runs only when its environment variable names a real Asterisk: AMI_URL (<c>tcp://user:secret@host:port</c>)
/// by default, or AMI_TLS_URL, AMI_READONLY_URL... Skipped, with the reason, when the variable is unset.
/// </summary>
public sealed class AsteriskFactAttribute : FactAttribute
{
    public AsteriskFactAttribute(params string[] variables)
    {
        foreach (var variable in variables.Length == 0 ? ["AMI_URL"] : variables)
        {
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable)))
            {
                Skip = $"{variable} is not set ({Example(variable)}): no real Asterisk to test against.";
                return;
            }
        }
    }

    private static string Example(string variable) => variable switch
    {
        "AMI_TLS_URL" => "tls://user:secret@host:5039",
        "AMI_READONLY_URL" => "tcp://user:secret@host:5038 of a user with read but no write permission",
        "AMI_RESTART_CMD" => "a shell command that restarts that Asterisk",
        _ => "tcp://user:secret@host:port",
    };
}

/// <summary>
/// Against a real Asterisk (22.x with the dialplan context <c>test</c>: 100 answers and waits 1 s, 200 answers and waits
/// 5 s, 260 never answers). Each test opens its own connection.
/// </summary>
[Trait("Category", "Functional")]
public class FunctionalTests(ITestOutputHelper output) : RuntimeTestBase(output)
{
    internal static AmiServerDefinition FromUrl(string variable = "AMI_URL", string id = "real")
    {
        var uri = new Uri(Environment.GetEnvironmentVariable(variable)!);
        var user = uri.UserInfo.Split(':', 2);
        bool tls = uri.Scheme is "tls" or "ssl";
        return new AmiServerDefinition(id, uri.Host, uri.Port > 0 ? uri.Port : tls ? 5039 : 5038, Uri.UnescapeDataString(user[0]), Uri.UnescapeDataString(user.Length > 1 ? user[1] : ""))
        {
            UseTls = tls,
            AcceptInvalidCertificate = tls,
        };
    }

    private async Task<AmiClient> ConnectAsync(AmiAuthType auth = AmiAuthType.Plain, string variable = "AMI_URL") =>
        await StartClientAsync(FastSettings(FromUrl(variable) with { AuthType = auth }));

    private static string Marker() => "amiactors-" + Guid.NewGuid().ToString("N")[..8];

    [AsteriskFact]
    public async Task Logs_in_with_plain_text_and_answers_Ping()
    {
        var client = await ConnectAsync(AmiAuthType.Plain);
        var result = await client.SendAsync("real", new AmiAction("Ping"));
        Assert.Equal("Pong", result.Response.Get("Ping"));
        Assert.NotNull(result.Response.Get("Timestamp"));
    }

    [AsteriskFact]
    public async Task Logs_in_with_md5_and_answers_Ping()
    {
        var client = await ConnectAsync(AmiAuthType.Md5);
        var result = await client.SendAsync("real", new AmiAction("Ping"));
        Assert.Equal("Pong", result.Response.Get("Ping"));
    }

    [AsteriskFact("AMI_TLS_URL")]
    public async Task Logs_in_over_TLS_and_answers_Ping()
    {
        var client = await ConnectAsync(AmiAuthType.Plain, "AMI_TLS_URL");
        var result = await client.SendAsync("real", new AmiAction("Ping"));
        Assert.Equal("Pong", result.Response.Get("Ping"));
        var servers = await client.GetServersAsync();
        Assert.Equal(AmiConnectionState.Connected, Assert.Single(servers).State);
    }

    [AsteriskFact]
    public async Task Command_with_one_output_line_returns_it()
    {
        var client = await ConnectAsync();
        var result = await client.SendAsync("real", new AmiAction("Command", ("Command", "core show version")));
        var line = Assert.Single(result.CommandOutput, l => l.Length > 0);
        Assert.StartsWith("Asterisk 22.", line);
    }

    [AsteriskFact]
    public async Task Command_with_many_output_lines_returns_all_of_them_in_order()
    {
        var client = await ConnectAsync();
        var result = await client.SendAsync("real", new AmiAction("Command", ("Command", "dialplan show test")));
        Assert.True(result.CommandOutput.Count > 5, string.Join('\n', result.CommandOutput));
        Assert.Contains(result.CommandOutput, l => l.Contains("'100'", StringComparison.Ordinal));
        Assert.Contains(result.CommandOutput, l => l.Contains("'260'", StringComparison.Ordinal));
        Assert.Contains(result.CommandOutput, l => l.StartsWith("-= ", StringComparison.Ordinal) && l.Contains("extensions", StringComparison.Ordinal));
    }

    [AsteriskFact]
    public async Task CoreShowChannels_lists_the_calls_that_are_up_and_Status_types_them()
    {
        var client = await ConnectAsync();
        await client.SendAsync("real", new OriginateAction("Local/200@test") { Application = "Wait", Data = "5", Async = true },
            TimeSpan.FromSeconds(20));
        var list = await AwaitListAsync(client, r => r.Events.Any(e => e.Get("Channel")?.StartsWith("Local/200@test", StringComparison.Ordinal) == true));
        Assert.NotNull(list.Complete);
        Assert.Equal(list.Events.Count, list.Complete!.ListItems);
        Assert.All(list.Events, e => Assert.Equal("CoreShowChannel", e.EventName));

        var status = await client.SendListAsync("real", new StatusAction());
        Assert.Contains(status.Items, s => s.Channel?.StartsWith("Local/200@test", StringComparison.Ordinal) == true);
        Assert.NotNull(status.Complete);
    }

    private static async Task<AmiActionResult> AwaitListAsync(AmiClient client, Func<AmiActionResult, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var result = await client.SendAsync("real", new AmiAction("CoreShowChannels"));
            if (done(result) || DateTime.UtcNow > deadline)
            {
                Assert.True(done(result), $"{result.Events.Count} channels: {string.Join(", ", result.Events.Select(e => e.Get("Channel")))}");
                return result;
            }
            await Task.Delay(100);
        }
    }

    [AsteriskFact]
    public async Task An_async_Originate_that_answers_succeeds_with_its_OriginateResponse()
    {
        var client = await ConnectAsync();
        var result = await client.SendAsync("real", new OriginateAction("Local/100@test") { Application = "Wait", Data = "1", Async = true },
            TimeSpan.FromSeconds(30));
        Assert.True(result.IsSuccess);
        Assert.NotNull(result.OriginateResponse);
        Assert.Equal("Success", result.OriginateResponse!.Get("Response"));
        Assert.Equal("4", result.OriginateResponse.Get("Reason"));
    }

    [AsteriskFact]
    public async Task An_async_Originate_that_is_not_answered_fails_with_reason_3()
    {
        var client = await ConnectAsync();
        var result = await client.SendRawAsync("real", new OriginateAction("Local/260@test") { Application = "Wait", Data = "1", Async = true, Timeout = TimeSpan.FromSeconds(3) },
            TimeSpan.FromSeconds(30));
        Assert.False(result.IsSuccess);
        Assert.Equal("Failure", result.OriginateResponse!.Get("Response"));
        Assert.Equal("3", result.OriginateResponse.Get("Reason"));
        var thrown = await Assert.ThrowsAsync<AmiErrorResponseException>(() => client.SendAsync("real",
            new OriginateAction("Local/260@test") { Application = "Wait", Data = "1", Async = true, Timeout = TimeSpan.FromSeconds(3) }, TimeSpan.FromSeconds(30)));
        Assert.Contains("Reason 3", thrown.Message);
    }

    [AsteriskFact]
    public async Task A_sync_Originate_that_is_not_answered_answers_Error()
    {
        var client = await ConnectAsync();
        var result = await client.SendRawAsync("real", new OriginateAction("Local/260@test") { Application = "Wait", Data = "1", Timeout = TimeSpan.FromSeconds(3) },
            TimeSpan.FromSeconds(30));
        Assert.False(result.IsSuccess);
        Assert.Equal("Error", result.Response.Get("Response"));
        Assert.Equal("Originate failed", result.Message);
    }

    [AsteriskFact]
    public async Task Events_off_stops_the_events_and_Events_on_brings_them_back()
    {
        var client = await ConnectAsync();
        var probe = CreateTestProbe();
        await client.SubscribeAsync(probe.Ref, "real", "UserEvent");

        var off = await client.SendAsync("real", new AmiAction("Events", ("EventMask", "off")));
        Assert.Equal("Off", off.Response.Get("Events"));
        var silent = Marker();
        await client.SendAsync("real", new AmiAction("UserEvent", ("UserEvent", silent)));

        var on = await client.SendAsync("real", new AmiAction("Events", ("EventMask", "on")));
        Assert.Equal("On", on.Response.Get("Events"));
        var heard = Marker();
        await client.SendAsync("real", new AmiAction("UserEvent", ("UserEvent", heard)));

        var e = await probe.FishForMessageAsync<AmiEventReceived>(e => e.Event.Get("UserEvent") is { } u && (u == heard || u == silent), Long);
        Assert.Equal(heard, e.Event.Get("UserEvent"));
    }

    [AsteriskFact]
    public async Task A_Filter_lets_only_matching_events_through()
    {
        var client = await ConnectAsync();
        var probe = CreateTestProbe();
        await client.SubscribeAsync(probe.Ref, "real", "UserEvent");
        var keep = Marker();
        var drop = Marker();
        var added = await client.SendAsync("real", new AmiAction("Filter", ("Operation", "Add"), ("Filter", $"UserEvent: {keep}")));
        Assert.True(added.IsSuccess, added.Message);

        await client.SendAsync("real", new AmiAction("UserEvent", ("UserEvent", drop)));
        await client.SendAsync("real", new AmiAction("UserEvent", ("UserEvent", keep)));

        var e = await probe.FishForMessageAsync<AmiEventReceived>(e => e.Event.Get("UserEvent") is { } u && (u == keep || u == drop), Long);
        Assert.Equal(keep, e.Event.Get("UserEvent"));
    }

    [AsteriskFact]
    public async Task A_UserEvent_comes_back_to_a_subscriber()
    {
        var client = await ConnectAsync();
        var probe = CreateTestProbe();
        await client.SubscribeAsync(probe.Ref, "real", "UserEvent");
        string marker = Marker();

        await client.SendAsync("real", new AmiAction("UserEvent", ("UserEvent", marker), ("Data", "functional")));

        var e = await probe.FishForMessageAsync<AmiEventReceived>(e => e.Event.Get("UserEvent") == marker, Long);
        Assert.Equal("functional", e.Event.Get("Data"));
    }

    [AsteriskFact("AMI_READONLY_URL")]
    public async Task A_read_only_user_gets_Permission_denied_for_a_write_action_but_may_Ping()
    {
        var client = await ConnectAsync(AmiAuthType.Plain, "AMI_READONLY_URL");
        Assert.Equal("Pong", (await client.SendAsync("real", new AmiAction("Ping"))).Response.Get("Ping"));
        var denied = await Assert.ThrowsAsync<AmiErrorResponseException>(() =>
            client.SendAsync("real", new AmiAction("Command", ("Command", "core show version"))));
        Assert.Equal("Permission denied", denied.Result.Message);
    }

    [AsteriskFact]
    public async Task A_wrong_secret_is_rejected_without_the_secret_in_any_reason()
    {
        var states = CreateTestProbe();
        Sys.EventStream.Subscribe(states.Ref, typeof(ConnectionStateChanged));
        var client = await StartClientAsync(FastSettings(FromUrl() with { Secret = "Wrong-Secret-1234" }), waitConnected: false);
        var failed = await states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == AmiConnectionState.AuthenticationFailed, Long);
        Assert.Contains("Authentication failed", failed.Reason);
        Assert.DoesNotContain("Wrong-Secret-1234", failed.Reason);
        var e = await Assert.ThrowsAsync<AmiAuthenticationException>(() => client.SendAsync("real", new AmiAction("Ping")));
        Assert.DoesNotContain("Wrong-Secret-1234", e.Message);
    }

    [AsteriskFact]
    public async Task Removing_a_server_logs_off_its_session()
    {
        var watcher = await ConnectAsync();
        var url = FromUrl();
        await watcher.AddServerAsync(url with { Id = "leaving" });
        await WaitForStateAsync(watcher, "leaving", AmiConnectionState.Connected);
        int before = await SessionsAsync(watcher, url.Username);

        await watcher.RemoveServerAsync("leaving");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        int after;
        while ((after = await SessionsAsync(watcher, url.Username)) != before - 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Equal(before - 1, after);
    }

    private static async Task<IReadOnlyList<string>> CommandAsync(AmiClient client, string command) =>
        (await client.SendAsync("real", new AmiAction("Command", ("Command", command)))).CommandOutput;

    private static async Task<int> SessionsAsync(AmiClient client, string username) =>
        (await CommandAsync(client, "manager show connected")).Count(l => l.TrimStart().StartsWith(username + " ", StringComparison.Ordinal));
}
