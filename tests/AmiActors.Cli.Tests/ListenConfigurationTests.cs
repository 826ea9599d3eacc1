namespace AmiActors.Cli.Tests;

/// <summary>Every configuration problem of <c>ami listen</c>: one line naming the file, the key (and line), exit 2, no stack trace.</summary>
public class ListenConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ami-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> FailsWithOneLineAsync(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        await File.WriteAllTextAsync(path, text);
        var run = await CliRun.RunAsync("listen", "--config", path);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith($"ami: {path}", line);
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout);
        Assert.DoesNotContain("Exception", line);
        Assert.DoesNotContain("amp111", run.Stderr + run.Stdout);
        Assert.Equal("", run.Stdout);
        return line;
    }

    private const string Server = """ami.servers { pbx1 { host = "127.0.0.1", port = 5038, username = "admin", secret = "amp111" } }""";

    [Fact]
    public async Task A_port_out_of_range_in_HOCON_names_the_file_and_the_key()
    {
        var line = await FailsWithOneLineAsync("port.conf", """ami.servers { pbx1 { host = "127.0.0.1", port = 99999, username = "admin", secret = "amp111" } }""");
        Assert.EndsWith("ami.servers.pbx1.port must be between 1 and 65535 (got 99999).", line);
    }

    [Fact]
    public async Task A_missing_comma_in_HOCON_names_the_line_and_column()
    {
        var line = await FailsWithOneLineAsync("comma.conf", "ami.servers {\n  pbx1 { host = \"127.0.0.1\" port = 5038, username = \"admin\" secret = \"amp111\" }\n}\n");
        Assert.Contains("comma.conf line 2, column 40: HOCON syntax error", line);
    }

    [Fact]
    public async Task A_missing_brace_in_HOCON_is_a_syntax_error_not_a_missing_secret()
    {
        var line = await FailsWithOneLineAsync("brace.conf", "ami.servers {\n  pbx1 { host = \"127.0.0.1\", port = 5038, username = \"admin\"\n    secret = \"amp111\"\n}\n");
        Assert.Contains("line 1, column 13: HOCON syntax error: a '}' is missing", line);
        Assert.DoesNotContain("secret", line);
    }

    [Fact]
    public async Task A_misspelt_key_in_HOCON_is_refused_instead_of_ignored()
    {
        var line = await FailsWithOneLineAsync("typo.conf", "ami.reconect.min-backoff = 1s\n" + Server);
        Assert.Contains("unknown key ami.reconect.min-backoff", line);
        line = await FailsWithOneLineAsync("typo2.conf", """ami.servers { pbx1 { host = "127.0.0.1", username = "admin", secret = "amp111", pasword = "x" } }""");
        Assert.Contains("unknown key ami.servers.pbx1.pasword", line);
    }

    [Fact]
    public async Task A_bad_duration_in_HOCON_names_the_key_and_the_value()
    {
        var line = await FailsWithOneLineAsync("duration.conf", "ami.connection.heartbeat-interval = banana\n" + Server);
        Assert.EndsWith("ami.connection.heartbeat-interval must be a duration such as \"5s\" or \"250ms\" (got \"banana\").", line);
    }

    [Fact]
    public async Task A_bad_duration_in_JSON_exits_2_naming_the_key()
    {
        var line = await FailsWithOneLineAsync("banana.json", """{ "Ami": { "HeartbeatInterval": "banana", "Servers": [ { "Id": "j1", "Host": "127.0.0.1", "Username": "u", "Secret": "s" } ] } }""");
        Assert.EndsWith("banana.json: Ami:HeartbeatInterval must be a duration as hh:mm:ss (for example \"00:00:30\") (got 'banana').", line);
    }

    [Fact]
    public async Task A_bad_port_in_JSON_names_the_server_entry()
    {
        var line = await FailsWithOneLineAsync("port.json", """{ "Ami": { "Servers": [ { "Id": "j1", "Host": "127.0.0.1", "Port": 99999, "Username": "u", "Secret": "s" } ] } }""");
        Assert.EndsWith("port.json: Ami:Servers:0: Port must be between 1 and 65535.", line);
    }

    [Fact]
    public async Task Broken_JSON_names_the_line_and_column()
    {
        var line = await FailsWithOneLineAsync("broken.json", "{ \"Ami\": {\n  \"Servers\": [ { \"Id\": \"j1\", \"Port\": 5038 \"Host\": \"h\" } ] } }");
        Assert.Contains("broken.json line 2, column 43: not valid JSON", line);
    }

    [Fact]
    public async Task A_bad_http_address_and_log_format_in_the_file_are_refused()
    {
        var line = await FailsWithOneLineAsync("http.conf", "ami.listen.http = \"127.0.0.1:99999\"\n" + Server);
        Assert.Contains("ami.listen.http: '127.0.0.1:99999' is not an address to listen on", line);
        line = await FailsWithOneLineAsync("format.conf", "ami.listen.log-format = xml\n" + Server);
        Assert.Contains("ami.listen.log-format must be text or json (got 'xml')", line);
    }

    [Theory]
    [InlineData("9464", "127.0.0.1:9464")]
    [InlineData("127.0.0.1:0", "127.0.0.1:0")]
    [InlineData("localhost:9464", "127.0.0.1:9464")]
    [InlineData("[::1]:9464", "[::1]:9464")]
    [InlineData("*:9464", "[::]:9464")]
    public void An_http_address_binds_loopback_unless_told_otherwise(string text, string expected)
    {
        Assert.True(HttpListenAddress.TryParse(text, out var address, out _));
        Assert.Equal(expected, address.ToString());
    }

    [Theory]
    [InlineData("example.com:9464")]
    [InlineData("127.0.0.1:http")]
    [InlineData("127.0.0.1:70000")]
    public void A_bad_http_address_is_refused_with_its_reason(string text)
    {
        Assert.False(HttpListenAddress.TryParse(text, out _, out var problem));
        Assert.Contains("listen on", problem);
    }
}

public class ExitCodeTests
{
    [Fact]
    public void An_action_timeout_exits_5_and_a_message_ends_in_one_period()
    {
        var (code, _) = CliApp.Describe(new AmiActionTimeoutException("pbx1", "Ping", "1", TimeSpan.FromSeconds(1), "the response"), CancellationToken.None);
        Assert.Equal(ExitCodes.Timeout, code);
        Assert.Equal("the server said no.", CliApp.OnePeriod("the server said no.."));
        Assert.Equal("ok.", CliApp.OnePeriod("ok."));
    }

    [Fact]
    public async Task Send_exits_5_when_the_reply_does_not_come_within_the_timeout()
    {
        await using var server = await AmiActors.TestKit.FakeAsteriskServer.StartAsync();
        server.OnAction("Ping", _ => (AmiActors.Protocol.AmiMessage?)null);
        var run = await CliRun.RunAsync("send", "--url", $"tcp://admin:amp111@127.0.0.1:{server.Port}", "Ping", "--timeout", "1");
        Assert.Equal(ExitCodes.Timeout, run.ExitCode);
        Assert.Contains("timed out after 1000 ms", run.Stderr);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_one_shot_command_does_not_announce_a_next_attempt()
    {
        Assert.Equal("the server rejected the login of user 'admin': Authentication failed",
            ClientSession.OneShot("the server rejected the login of user 'admin': Authentication failed.; next attempt in 30000 ms"));
    }
}
