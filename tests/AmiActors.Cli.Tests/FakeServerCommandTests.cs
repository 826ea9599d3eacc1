using System.Text.Json;
using System.Text.RegularExpressions;
using AmiActors.Protocol;
using AmiActors.TestKit;

namespace AmiActors.Cli.Tests;

/// <summary>The commands that connect, run in-process against the fake Asterisk over loopback TCP.</summary>
public class FakeServerCommandTests : IAsyncLifetime
{
    private FakeAsteriskServer _server = null!;

    private string Url(string secret = "amp111") => $"tcp://admin:{secret}@127.0.0.1:{_server.Port}";

    public async Task InitializeAsync() => _server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { FailedLoginDelay = TimeSpan.FromMilliseconds(50) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Send_prints_the_response_of_a_Ping()
    {
        var run = await CliRun.RunAsync("send", "--url", Url(), "Ping");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Response: Success", run.Stdout);
        Assert.Contains("Ping: Pong", run.Stdout);
        Assert.Equal("", run.Stderr);
    }

    [Fact]
    public async Task Send_prints_every_item_and_the_Complete_event_of_a_list_as_json()
    {
        _server.AddChannel(new FakeChannel("PJSIP/100-00000001"));
        _server.AddChannel(new FakeChannel("PJSIP/200-00000002"));
        var run = await CliRun.RunAsync("send", "--url", Url(), "CoreShowChannels", "--json");
        Assert.Equal(0, run.ExitCode);
        var docs = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("response", docs[0].GetProperty("kind").GetString());
        Assert.Equal(2, docs.Count(d => d.GetProperty("name").GetString() == "CoreShowChannel"));
        Assert.Equal("CoreShowChannelsComplete", docs[^1].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Send_prints_the_output_lines_of_a_Command()
    {
        _server.OnAction("Command", ctx => AmiMessage.Create(("Response", "Success"), ("ActionID", ctx.ActionId ?? ""),
            ("Message", "Command output follows"), ("Output", "Asterisk 22.10.1 built by test"), ("Output", ""), ("Output", "second: line")));
        var run = await CliRun.RunAsync("send", "--url", Url(), "Command", "Command=core show version");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["Asterisk 22.10.1 built by test", "", "second: line"], run.Stdout.TrimEnd('\n').Split('\n'));
        var received = await _server.WaitForActionAsync("Command");
        Assert.Equal("core show version", received.Message.Get("Command"));
    }

    [Fact]
    public async Task An_Error_response_exits_4_after_printing_it()
    {
        var run = await CliRun.RunAsync("send", "--url", Url(), "NoSuchAction");
        Assert.Equal(ExitCodes.ServerError, run.ExitCode);
        Assert.Contains("Response: Error", run.Stdout);
        Assert.Contains("Invalid/unknown command", run.Stderr);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_wrong_secret_exits_3_without_printing_it()
    {
        var run = await CliRun.RunAsync("send", "--url", Url("WrongSecret42"), "Ping");
        Assert.Equal(ExitCodes.Connection, run.ExitCode);
        Assert.Contains("login", run.Stderr);
        Assert.DoesNotContain("next attempt", run.Stderr);
        Assert.DoesNotContain("..", run.Stderr);
        Assert.DoesNotContain("WrongSecret42", run.Stderr + run.Stdout);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_refused_connection_exits_3()
    {
        int port = _server.Port;
        await _server.StopAsync(sendShutdownEvent: false);
        var run = await CliRun.RunAsync("send", "--url", $"tcp://admin:amp111@127.0.0.1:{port}", "Ping", "--connect-timeout", "20");
        Assert.Equal(ExitCodes.Connection, run.ExitCode);
        Assert.Contains("connection refused", run.Stderr);
        Assert.DoesNotContain("finishConnect", run.Stderr);
        Assert.Contains("cannot connect", run.Stderr);
    }

    [Fact]
    public async Task Md5_login_works_with_the_secret_from_AMI_SECRET()
    {
        var run = await CliRun.RunAsync(["send", "--url", $"tcp://admin@127.0.0.1:{_server.Port}", "--md5", "Ping"],
            new Dictionary<string, string> { ["AMI_SECRET"] = "amp111" }, null);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(_server.ReceivedActions, a => a.Name.Equals("Challenge", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Tail_with_count_prints_that_many_matching_events_and_exits()
    {
        var tail = CliRun.RunAsync("tail", "--url", Url(), "--event", "Hangup,Newchannel", "--count", "3", "--json");
        await _server.WaitForLoginsAsync(1);
        // The stream subscribes right after login; keep emitting until the command has what it needs.
        while (!tail.IsCompleted)
        {
            await _server.EmitEventAsync(("Event", "VarSet"), ("Privilege", "dialplan,all"), ("Variable", "x"));
            await _server.EmitEventAsync(("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/1-1"));
            await _server.EmitEventAsync(("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", "PJSIP/1-1"));
            await Task.WhenAny(tail, Task.Delay(50));
        }
        var run = await tail;
        Assert.Equal(0, run.ExitCode);
        var names = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("name").GetString()).ToList();
        Assert.Equal(3, names.Count);
        Assert.All(names, n => Assert.True(n is "Newchannel" or "Hangup", n));
    }

    [Fact]
    public async Task Bench_actions_prints_one_summary_line()
    {
        var run = await CliRun.RunAsync("bench", "actions", "--url", Url(), "--count", "300", "--inflight", "8", "--warmup", "0");
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(new Regex(@"^actions=300 seconds=\d+\.\d{3} rate=\d+/s$"), run.Stdout.Trim());
        // The command has exited: the server saw exactly the 300 Pings it reported, each its own action.
        var pings = _server.ReceivedActions.Where(a => a.Is("Ping")).ToList();
        Assert.Equal(300, pings.Count);
        Assert.Equal(300, pings.Select(p => p.ActionId).Distinct().Count());
        Assert.DoesNotContain(pings, p => p.ActionId is null);
    }

    [Fact]
    public async Task Bench_actions_sends_its_warm_up_Pings_first_and_counts_only_the_measured_ones()
    {
        var run = await CliRun.RunAsync("bench", "actions", "--url", Url(), "--count", "200", "--inflight", "4", "--warmup", "50");
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(new Regex(@"^actions=200 seconds=\d+\.\d{3} rate=\d+/s$"), run.Stdout.Trim());
        Assert.Contains("50 warm-up Pings first, not counted", run.Stderr);
        Assert.Equal(250, _server.ReceivedActions.Count(a => a.Is("Ping")));
    }

    [Fact]
    public async Task Bench_events_counts_what_the_server_floods()
    {
        var bench = CliRun.RunAsync("bench", "events", "--url", Url(), "--count", "5000");
        var sessions = await _server.WaitForLoginsAsync(1);
        var template = AmiMessage.Create(("Event", "Newexten"), ("Privilege", "dialplan,all"), ("Channel", "PJSIP/1-1"), ("Application", "Dial"));
        while (!bench.IsCompleted)
        {
            try
            {
                await _server.FloodEventsAsync(sessions[0], [template], 2000);
            }
            catch (IOException)
            {
                // The client closed the session while this flood was being written. The server may not have noticed the
                // close yet, nor the command returned: whether it closed because it had its count is asserted below.
                break;
            }
            await Task.WhenAny(bench, Task.Delay(100));
        }
        var run = await bench;
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(new Regex(@"^events=5000 seconds=\d+\.\d{3} rate=\d+/s dropped=0 buffer=65536$"), run.Stdout.Trim());
    }

    private static byte[] FloodFrames(int count)
    {
        var text = new System.Text.StringBuilder();
        for (int i = 1; i <= count; i++)
        {
            text.Append("Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/100-").Append(i).Append("\r\nUniqueid: 1700000000.").Append(i).Append("\r\n\r\n");
        }
        return System.Text.Encoding.ASCII.GetBytes(text.ToString());
    }

    [Fact]
    public async Task Bench_events_counts_a_flood_that_arrives_in_the_same_write_as_the_login_response()
    {
        _server.Faults.BytesWithLoginResponse = FloodFrames(3000);

        var run = await CliRun.RunAsync(["bench", "events", "--url", Url(), "--count", "3000"], null, null, TimeSpan.FromSeconds(30));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.StartsWith("events=3000 ", run.Stdout.Trim());
        Assert.DoesNotContain("dropped", run.Stderr);
    }

    [Fact]
    public async Task Tail_prints_the_first_events_when_they_arrive_with_the_login_response()
    {
        _server.Faults.BytesWithLoginResponse = FloodFrames(5);

        var run = await CliRun.RunAsync(["tail", "--url", Url(), "--count", "5"], null, null, TimeSpan.FromSeconds(30));

        Assert.True(run.ExitCode == 0, run.Stderr);
        var channels = run.Stdout.Split('\n').Where(l => l.StartsWith("Channel: ", StringComparison.Ordinal)).Select(l => l.Trim()).ToArray();
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"Channel: PJSIP/100-{i}").ToArray(), channels);
    }
}

[Collection(SerilogGlobalLogger.Name)]
public class DemoCommandTests
{
    [Fact]
    public async Task The_demo_with_a_duration_prints_plain_lines_and_stops()
    {
        // Long enough for several one-second status lines even when the machine is loaded (the whole suite runs in parallel).
        var run = await CliRun.RunAsync("demo", "--duration", "4", "--rate", "20");
        string output = $"stdout:\n{run.Stdout}\nstderr:\n{run.Stderr}";
        Assert.True(run.ExitCode == 0, output);
        Assert.DoesNotContain("\u001b[", run.Stdout);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ami demo: simulated Asterisk at tcp://demo@127.0.0.1:", lines[0]);
        Assert.True(lines.Any(l => Regex.IsMatch(l, @"^t=\d+s events=[1-9]\d* events/s=\d+ active-calls=\d+")), output);
        Assert.True(Regex.IsMatch(lines[^1], @"^ami demo: stopped after [\d.]+ s: [1-9]\d* events received"), output);
        // The client's logs, through Akka.Logger.Serilog and the CLI's Serilog template, on stderr: state changes, no trouble.
        Assert.Matches(@"\[INF\] AmiActors\.Actors\.AmiManagerActor: AMI server demo: Authenticating -> Connected", run.Stderr);
        Assert.False(run.Stderr.Contains("[WRN]", StringComparison.Ordinal) || run.Stderr.Contains("[ERR]", StringComparison.Ordinal), output);
    }
}
