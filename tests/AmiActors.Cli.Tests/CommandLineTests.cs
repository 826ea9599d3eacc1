using System.Diagnostics;

namespace AmiActors.Cli.Tests;

public class CommandLineTests
{
    [Fact]
    public async Task An_unknown_option_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("tail", "--url", "tcp://a:b@host", "--frobnicate");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--frobnicate", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task A_bad_url_exits_2_with_one_line_and_no_secret()
    {
        var run = await CliRun.RunAsync("send", "--url", "udp://admin:Hunter2@host", "Ping");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("unknown scheme 'udp'", run.Stderr);
        Assert.DoesNotContain("Hunter2", run.Stderr);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_header_without_equals_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("send", "--url", "tcp://admin:pw@127.0.0.1:1", "Originate", "Channel");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("'Channel' is not Key=Value", run.Stderr);
    }

    [Fact]
    public async Task A_value_with_a_line_break_is_refused_before_connecting()
    {
        var run = await CliRun.RunAsync("send", "--url", "tcp://admin:pw@127.0.0.1:1", "UserEvent", "UserEvent=x\r\nEvent: Forged");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_missing_url_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("bench", "actions");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--url", run.Stderr);
    }

    [Fact]
    public async Task Help_lists_every_command()
    {
        var run = await CliRun.RunAsync("--help");
        Assert.Equal(0, run.ExitCode);
        foreach (var command in new[] { "demo", "listen", "send", "tail", "decode", "bench" })
        {
            Assert.Contains(command, run.Stdout);
        }
    }

    [Fact]
    public void The_bench_summary_has_the_exact_form_harnesses_read()
    {
        long start = 1_000_000;
        long end = start + (long)(2.91 * Stopwatch.Frequency);
        Assert.Equal("events=1000000 seconds=2.910 rate=343642/s", BenchCommand.Summary("events", 1_000_000, start, end));
        Assert.Equal("actions=0 seconds=0.000 rate=0/s", BenchCommand.Summary("actions", 0, 0, 0));
    }

    [Theory]
    [InlineData("Ping", new string[0], 0)]
    [InlineData("Originate", new[] { "Channel=PJSIP/100", "Variable=a=1", "Variable=b=2" }, 3)]
    public void Key_value_arguments_become_headers_split_at_the_first_equals(string action, string[] pairs, int count)
    {
        var built = SendCommand.BuildAction(action, pairs);
        Assert.Equal(action, built.Name);
        Assert.Equal(count, built.Headers.Count);
        if (count == 3)
        {
            Assert.Equal("a=1", built.Headers[1].Value);
            Assert.Equal("Variable", built.Headers[2].Name);
        }
    }

    [Fact]
    public void Exit_codes_map_failures_without_stack_traces()
    {
        var ct = CancellationToken.None;
        Assert.Equal(ExitCodes.Connection, CliApp.Describe(new AmiAuthenticationException("s", "admin", "Authentication failed"), ct).Code);
        Assert.Equal(ExitCodes.Timeout, CliApp.Describe(new AmiActionTimeoutException("s", "Ping", "1", TimeSpan.FromSeconds(1), "the response"), ct).Code);
        Assert.Equal(ExitCodes.Usage, CliApp.Describe(new UnknownServerException("x"), ct).Code);
        var message = CliApp.Describe(new InvalidOperationException("boom"), ct).Message!;
        Assert.DoesNotContain(" at ", message);
    }
}
