using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AmiActors.TestKit;

namespace AmiActors.Cli.Tests;

[Collection(SerilogGlobalLogger.Name)]
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
        // Server "other" points at the same fake Asterisk under another user name: were it started, the fake server would see
        // its connection and its Login (it connects as soon as the worker starts, long before "main" has logged an event).
        var conf = WriteFile("servers.conf", $$"""
            ami.servers {
              main { host = "127.0.0.1", port = {{_server.Port}}, username = "admin", secret = "amp111" }
              other { host = "127.0.0.1", port = {{_server.Port}}, username = "other-user", secret = "amp111" }
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
        Assert.DoesNotMatch(@"\bother\b", run.Stdout);
        // AmiActors' own log events reach the worker's Serilog output (Akka.Logger.Serilog), rendered from their templates.
        Assert.Contains("[INF] AmiActors.Actors.AmiManagerActor: AMI server main: Authenticating -> Connected", run.Stdout);
        Assert.DoesNotContain("amp111", run.Stdout);
        Assert.Equal(1, _server.ConnectionCount);
        var login = Assert.Single(_server.ReceivedActions, a => a.Is("Login"));
        Assert.Equal("admin", login.Message.Get("Username"));
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

    private string OneServer(string name = "main") => WriteFile(name + ".conf", $$"""
        ami.servers { {{name}} { host = "127.0.0.1", port = {{_server.Port}}, username = "admin", secret = "amp111" } }
        ami.reconnect { min-backoff = 100ms, max-backoff = 200ms }
        """);

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        T last = await probe();
        while (!done(last))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{what}: still {last} after 30 s");
            }
            await Task.Delay(50);
            last = await probe();
        }
        return last;
    }

    [Fact]
    public async Task Listen_with_http_serves_healthz_readyz_and_prometheus_metrics()
    {
        var stdout = new ConcurrentWriter();
        using var stop = new CancellationTokenSource();
        var listen = CliRun.RunAsync(["listen", "--config", OneServer(), "--http", "127.0.0.1:0"], null, null, TimeSpan.FromSeconds(90), stdout, stop.Token);
        var bound = await EventuallyAsync(() => Task.FromResult(Regex.Match(stdout.ToString(), @"Serving /healthz, /readyz and /metrics on (http://\S+)")),
            m => m.Success || listen.IsCompleted, "the HTTP endpoint's address in the log");
        Assert.True(bound.Success, stdout.ToString());
        using var http = new HttpClient { BaseAddress = new Uri(bound.Groups[1].Value) };

        var healthz = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);

        var ready = await EventuallyAsync(() => http.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, "/readyz");
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal("Connected", body.GetProperty("servers").GetProperty("main").GetProperty("state").GetString());

        await _server.EmitEventAsync(("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/7-00000001"));
        var metrics = await EventuallyAsync(() => http.GetStringAsync("/metrics"),
            m => Regex.IsMatch(m, @"ami_events_received_total\{[^}]*ami_server=""main""[^}]*\} [1-9]"), "/metrics");
        Assert.Matches(@"ami_connected\{[^}]*ami_server=""main""[^}]*\} 1", metrics);
        Assert.Contains("# TYPE ami_events_received_total counter", metrics);
        Assert.Contains("dotnet_process_cpu_time_seconds_total", metrics);
        Assert.Contains("dotnet_gc_collections_total", metrics);

        // The server goes away: not ready (503), with the state of each server; still alive.
        await _server.StopAsync(sendShutdownEvent: false);
        var notReady = await EventuallyAsync(() => http.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.ServiceUnavailable, "/readyz after the server stopped");
        body = JsonDocument.Parse(await notReady.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Degraded", body.GetProperty("status").GetString());
        Assert.NotEqual("Connected", body.GetProperty("servers").GetProperty("main").GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Matches(@"ami_connected\{[^}]*ami_server=""main""[^}]*\} 0", await http.GetStringAsync("/metrics"));

        stop.Cancel();
        var run = await listen;
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain("amp111", run.Stdout);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/healthz"));
    }

    [Fact]
    public async Task Listen_serves_no_http_unless_configured()
    {
        var stdout = new ConcurrentWriter();
        using var stop = new CancellationTokenSource();
        var listen = CliRun.RunAsync(["listen", "--config", OneServer()], null, null, TimeSpan.FromSeconds(60), stdout, stop.Token);
        await _server.WaitForLoginsAsync(1, TimeSpan.FromSeconds(30));
        await EventuallyAsync(() => Task.FromResult(stdout.ToString()), s => s.Contains("logged in to", StringComparison.Ordinal), "a login in the log");
        stop.Cancel();
        var run = await listen;
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain("/healthz", run.Stdout);
    }

    [Fact]
    public async Task Listen_with_log_format_json_writes_one_compact_json_object_per_line_with_the_structured_properties()
    {
        var stdout = new ConcurrentWriter();
        using var stop = new CancellationTokenSource();
        var listen = CliRun.RunAsync(["listen", "--config", OneServer(), "--log-format", "json"], null, null, TimeSpan.FromSeconds(60), stdout, stop.Token);
        await _server.WaitForLoginsAsync(1, TimeSpan.FromSeconds(30));
        await EventuallyAsync(async () =>
        {
            await _server.EmitEventAsync(("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", "PJSIP/9-00000009"), ("Uniqueid", "9.9"));
            return stdout.ToString();
        }, s => s.Contains("PJSIP/9-00000009", StringComparison.Ordinal) || listen.IsCompleted, "the event in the log");
        stop.Cancel();
        var run = await listen;
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        var docs = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(docs, d => Assert.True(d.TryGetProperty("@t", out _) && d.TryGetProperty("@mt", out _), d.ToString()));
        var hangup = docs.First(d => d.TryGetProperty("AmiEvent", out var e) && e.GetString() == "Hangup");
        Assert.Equal("main", hangup.GetProperty("AmiServer").GetString());
        Assert.Equal("PJSIP/9-00000009", hangup.GetProperty("Channel").GetString());
        Assert.Equal("9.9", hangup.GetProperty("Uniqueid").GetString());
        Assert.True(hangup.TryGetProperty("SourceContext", out _));
        var login = docs.First(d => d.GetProperty("@mt").GetString()!.Contains("logged in to", StringComparison.Ordinal));
        Assert.Equal("main", login.GetProperty("ServerId").GetString());
        Assert.Equal($"127.0.0.1:{_server.Port}", login.GetProperty("AmiEndpoint").GetString());
        Assert.Equal(1, login.GetProperty("Attempts").GetInt32());
        Assert.DoesNotContain("amp111", run.Stdout);
    }
}
