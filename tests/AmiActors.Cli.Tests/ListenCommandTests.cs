using AmiActors.TestKit;

namespace AmiActors.Cli.Tests;

public class ListenCommandTests : IAsyncLifetime
{
    private FakeAsteriskServer _server = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeAsteriskServer.StartAsync();
        _dir = Directory.CreateTempSubdirectory("ami-listen-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Listen_runs_only_the_named_server_logs_its_events_and_stops_gracefully()
    {
        // Server "other" points at a port nobody listens on: were it started, nothing would break, but it must not be.
        var conf = WriteFile("servers.conf", $$"""
            ami.servers {
              main { host = "127.0.0.1", port = {{_server.Port}}, username = "admin", secret = "amp111" }
              other { host = "127.0.0.1", port = 9, username = "admin", secret = "amp111" }
            }
            """);
        var stdout = new ConcurrentWriter();
        using var stop = new CancellationTokenSource();
        var listen = CliRun.RunAsync(["listen", "--config", conf, "--server", "main"], null, null, TimeSpan.FromSeconds(60), stdout, stop.Token);
        await _server.WaitForLoginsAsync(1, TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!stdout.ToString().Contains("PJSIP/42-00000001") && DateTime.UtcNow < deadline && !listen.IsCompleted)
        {
            await _server.EmitEventAsync(("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/42-00000001"), ("Uniqueid", "1.1"));
            await Task.Delay(100);
        }
        stop.Cancel();
        var run = await listen;
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("main Newchannel channel=PJSIP/42-00000001", run.Stdout);
        Assert.DoesNotContain("other", run.Stdout.Split('\n').Where(l => l.Contains("AmiActors")).FirstOrDefault() ?? "");
        Assert.DoesNotContain("amp111", run.Stdout);
        Assert.Equal(1, _server.ConnectionCount);
    }

    [Fact]
    public async Task Listen_logs_the_events_that_arrive_in_the_same_write_as_the_login_response()
    {
        _server.Faults.BytesWithLoginResponse = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, 3).Select(i =>
            $"Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/7-{i}\r\nUniqueid: 2.{i}\r\n\r\n")));
        var conf = WriteFile("early.conf", $$"""
            ami.servers { main { host = "127.0.0.1", port = {{_server.Port}}, username = "admin", secret = "amp111" } }
            """);
        var stdout = new ConcurrentWriter();
        using var stop = new CancellationTokenSource();
        var listen = CliRun.RunAsync(["listen", "--config", conf], null, null, TimeSpan.FromSeconds(60), stdout, stop.Token);
        await _server.WaitForLoginsAsync(1, TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!stdout.ToString().Contains("PJSIP/7-3") && DateTime.UtcNow < deadline && !listen.IsCompleted)
        {
            await Task.Delay(50);
        }
        stop.Cancel();
        var run = await listen;
        Assert.Equal(0, run.ExitCode);
        for (int i = 1; i <= 3; i++)
        {
            Assert.Contains($"main Newchannel channel=PJSIP/7-{i}", run.Stdout);
        }
    }

    [Fact]
    public async Task Listen_refuses_an_unknown_server_id()
    {
        var conf = WriteFile("one.conf", """ami.servers { pbx1 { host = "127.0.0.1", port = 5038, username = "u", secret = "s" } }""");
        var run = await CliRun.RunAsync("listen", "--config", conf, "--server", "pbx9");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("unknown server id(s) 'pbx9'; configured: pbx1", run.Stderr);
    }

    [Fact]
    public async Task Listen_reads_servers_from_an_appsettings_json_file()
    {
        var json = WriteFile("appsettings.custom.json", """{ "Ami": { "Servers": [ { "Id": "j1", "Host": "127.0.0.1", "Username": "u", "Secret": "s" } ] } }""");
        var run = await CliRun.RunAsync("listen", "--config", json, "--server", "nope");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("configured: j1", run.Stderr);
    }

    [Fact]
    public async Task Listen_without_servers_says_how_to_configure_them()
    {
        var conf = WriteFile("empty.conf", "ami.connection.connect-timeout = 5s");
        var run = await CliRun.RunAsync("listen", "--config", conf);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("no AMI server is configured", run.Stderr);
    }
}
