namespace AmiActors.Cli.Tests;

/// <summary>Every configuration problem of <c>ami listen</c>: one line naming the file, the key (and line), exit 2, no stack trace.</summary>
public class ListenConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ami-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> FailsWithOneLineAsync(string name, string text)
    {
        var line = await ListenFailure.OneLineAsync(_dir, name, text);
        Assert.DoesNotContain("Exception", line);
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

/// <summary>The cluster settings of <c>ami listen</c> (ami.listen.cluster, Ami:Listen:Cluster): one line, exit 2, never a secret.</summary>
public class ListenClusterConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ami-cluster-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<string> FailsWithOneLineAsync(string name, string text) => ListenFailure.OneLineAsync(_dir, name, text);

    private static string Conf(string secret = "env:PATH", string cluster = "") => $$"""
        ami.servers { pbx1 { host = "127.0.0.1", port = 5038, username = "admin", secret = "{{secret}}" } }
        ami.listen.cluster {
          enabled = on
          hostname = "127.0.0.1"
          port = 4053
          seed-nodes = ["akka.tcp://ami@127.0.0.1:4053"]
          {{cluster}}
        }
        """;

    [Fact]
    public async Task A_secret_in_clear_in_cluster_mode_names_the_key_and_never_the_secret()
    {
        var line = await FailsWithOneLineAsync("clear.conf", Conf(secret: "amp111"));
        Assert.EndsWith("clear.conf: ami.servers.pbx1.secret must be a reference in cluster mode (env:NAME or secret:NAME), resolved by the worker that hosts the connection: a secret in clear would be replicated to every node.", line);
    }

    [Fact]
    public async Task A_secret_in_clear_in_a_JSON_cluster_configuration_names_the_JSON_key()
    {
        var line = await FailsWithOneLineAsync("clear.json", """
            { "Ami": { "Servers": [ { "Id": "j1", "Host": "127.0.0.1", "Username": "u", "Secret": "amp111" } ],
                       "Listen": { "Cluster": { "Enabled": true, "Hostname": "127.0.0.1", "SeedNodes": [ "akka.tcp://ami@127.0.0.1:4053" ] } } } }
            """);
        Assert.Contains("clear.json: Ami:Servers:0:Secret must be a reference in cluster mode", line);
    }

    [Fact]
    public async Task A_hosting_worker_refuses_a_reference_it_cannot_resolve()
    {
        var line = await FailsWithOneLineAsync("unset.conf", Conf(secret: "env:AMI_TEST_VARIABLE_THAT_IS_NOT_SET"));
        Assert.EndsWith("ami.servers.pbx1.secret refers to the environment variable AMI_TEST_VARIABLE_THAT_IS_NOT_SET, which is not set on this worker (it hosts connections, role 'ami').", line);
        line = await FailsWithOneLineAsync("named.conf", Conf(secret: "secret:pbx"));
        Assert.EndsWith("refers to secret:pbx, but ami.cluster.secrets.pbx is not set on this worker (it hosts connections, role 'ami').", line);
    }

    [Theory]
    [InlineData("seed-nodes = [\"127.0.0.1:4053\"]", "ami.listen.cluster.seed-nodes: '127.0.0.1:4053' is not a node address")]
    [InlineData("seed-nodes = [\"akka.tcp://other@127.0.0.1:4053\"]", "names the actor system 'other', but ami listen workers run the system 'ami'")]
    [InlineData("seed-nodes = [\"akka.tcp://ami@127.0.0.1\"]", "'akka.tcp://ami@127.0.0.1' needs a port from 1 to 65535")]
    [InlineData("seed-nodes = []", "ami.listen.cluster.seed-nodes needs at least one node address")]
    [InlineData("port = 70000", "ami.listen.cluster.port must be a port from 0 to 65535 (got '70000').")]
    [InlineData("port = nine", "ami.listen.cluster.port must be a port from 0 to 65535 (got 'nine').")]
    [InlineData("hostname = \"\"", "ami.listen.cluster.hostname is required in cluster mode")]
    [InlineData("public-hostname = \"not a host\"", "ami.listen.cluster.public-hostname: 'not a host' is not a host name or IP address.")]
    [InlineData("enabled = maybe", "ami.listen.cluster.enabled must be on or off (got 'maybe').")]
    [InlineData("roles = [\"a b\"]", "ami.listen.cluster.roles: 'a b' is not a role name")]
    [InlineData("seeds = []", "unknown key ami.listen.cluster.seeds (ami.listen.cluster accepts enabled, hostname, port, public-hostname, seed-nodes, roles).")]
    public async Task A_bad_cluster_setting_is_one_line_naming_the_key(string setting, string expected)
    {
        var line = await FailsWithOneLineAsync("bad.conf", Conf(cluster: setting));
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task Cluster_settings_without_enabled_are_refused_rather_than_ignored()
    {
        var line = await FailsWithOneLineAsync("stray.conf", """
            ami.servers { pbx1 { host = "127.0.0.1", port = 5038, username = "admin", secret = "amp111" } }
            ami.listen.cluster.port = 4053
            """);
        Assert.EndsWith("stray.conf: ami.listen.cluster.port is set but cluster mode is not enabled: set ami.listen.cluster.enabled = on (Ami:Listen:Cluster:Enabled = true) to join a cluster, or off to run alone.", line);
    }

    [Fact]
    public void A_valid_cluster_configuration_reads_every_setting_and_a_worker_without_the_ami_role_is_proxy_only()
    {
        var path = Path.Combine(_dir, "ok.conf");
        File.WriteAllText(path, Conf(secret: "secret:pbx", cluster: """
            port = 4054
            public-hostname = "worker-2.example"
            seed-nodes = ["akka.tcp://ami@10.0.0.11:4053", "akka.tcp://ami@10.0.0.12:4053"]
            roles = ["api"]
            """) + "\nami.cluster.secrets.pbx = \"amp111\"\n");
        var setup = ListenConfiguration.Load(path, [], null, null);
        var cluster = Assert.IsType<ListenCluster>(setup.Cluster);
        Assert.Equal(4054, cluster.Port);
        Assert.Equal("akka.tcp://ami@worker-2.example:4054", cluster.SelfAddress);
        Assert.Equal(["akka.tcp://ami@10.0.0.11:4053", "akka.tcp://ami@10.0.0.12:4053"], cluster.SeedNodes);
        Assert.False(cluster.HostsConnections);
        var akka = cluster.ToHocon();
        Assert.Equal("cluster", akka.GetString("akka.actor.provider"));
        Assert.Equal("worker-2.example", akka.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.Equal(["api"], akka.GetStringList("akka.cluster.roles"));
        Assert.Equal("secret:pbx", Assert.Single(setup.Servers).Secret);
    }

}

/// <summary>Sets process environment variables that every <c>ami listen</c> run reads: alone, in the non-parallel collection.</summary>
[Collection(ListenClusterCollection.Name)]
public class ListenClusterEnvironmentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ami-cluster-env-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Cluster_settings_come_from_the_environment_when_the_file_does_not_set_them()
    {
        var path = Path.Combine(_dir, "env.json");
        File.WriteAllText(path, """{ "Ami": { "Servers": [ { "Id": "j1", "Host": "127.0.0.1", "Username": "u", "Secret": "env:PATH" } ] } }""");
        var names = new[] { "Ami__Listen__Cluster__Enabled", "Ami__Listen__Cluster__Hostname", "Ami__Listen__Cluster__SeedNodes" };
        try
        {
            Environment.SetEnvironmentVariable(names[0], "true");
            Environment.SetEnvironmentVariable(names[1], "127.0.0.1");
            Environment.SetEnvironmentVariable(names[2], "akka.tcp://ami@127.0.0.1:4053, akka.tcp://ami@127.0.0.1:4054");
            var cluster = Assert.IsType<ListenCluster>(ListenConfiguration.Load(path, [], null, null).Cluster);
            Assert.Equal(ListenCluster.DefaultPort, cluster.Port);
            Assert.Equal(["akka.tcp://ami@127.0.0.1:4053", "akka.tcp://ami@127.0.0.1:4054"], cluster.SeedNodes);
            Assert.Equal(["ami"], cluster.Roles);
        }
        finally
        {
            foreach (var name in names)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
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

/// <summary>Runs <c>ami listen --config</c> on a file that must be refused: exit 2, one line on stderr naming the file, no stack trace, no secret.</summary>
internal static class ListenFailure
{
    public static async Task<string> OneLineAsync(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        await File.WriteAllTextAsync(path, text);
        var run = await CliRun.RunAsync("listen", "--config", path);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"ami: {path}", line);
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout);
        Assert.DoesNotContain("amp111", run.Stderr + run.Stdout);
        Assert.Equal("", run.Stdout);
        return line;
    }
}
