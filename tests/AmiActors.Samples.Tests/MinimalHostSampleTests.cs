using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Samples.Tests;

/// <summary>
/// Runs the minimal Generic Host sample (samples/AmiActors.Samples.MinimalHost) as its own process, exactly as built,
/// against the fake Asterisk over real TCP, and reads what it logs.
/// </summary>
public class MinimalHostSampleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_minimal_host_sample_runs_every_step_against_the_fake_server_and_stops_cleanly()
    {
        await using var server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { OriginateCreatesChannels = true });
        var (exitCode, lines) = await RunSampleAsync(new Dictionary<string, string>
        {
            ["Ami__Servers__0__Port"] = server.Port.ToString(CultureInfo.InvariantCulture),
            ["Ami__Servers__0__Secret"] = "amp111",
            ["Dialer__StopWhenDone"] = "true",
        });
        string all = string.Join('\n', lines);

        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{all}");
        Assert.Contains(lines, l => l.Contains("Ping: Pong"));
        Assert.Contains(lines, l => l.Contains("Command: Asterisk 22.10.1"));
        for (int call = 1; call <= 3; call++)
        {
            Assert.Contains(lines, l => l.Contains($"Originate {call}: AmiActionResult(pbx1, ") && l.Contains("OriginateResponse Success, Reason 4 (answered), Channel Local/100@default-"));
        }
        Assert.Equal(3, lines.Count(l => l.Contains("CoreShowChannel: Local/100@default-")));
        Assert.Contains(lines, l => l.Contains("Hung up 3 calls: Normal Clearing, Normal Clearing, Normal Clearing"));
        Assert.Contains(lines, l => l.Contains("CallTracker: subscription live"));
        Assert.Equal(3, lines.Count(l => l.Contains("CallTracker: Local/100@default-") && l.Contains("hung up on pbx1, cause 16 (Normal Clearing)")));
        Assert.Contains(lines, l => l.Contains("CallTracker saw 0 new channels, 3 hangups, 0 active"));
        Assert.Equal(3, lines.Count(l => l.Contains("HangupLog: Local/100@default-") && l.Contains("on pbx1, cause Normal Clearing")));
        Assert.Contains(lines, l => l.Contains("Dialer done: 3 of 3 calls answered"));
        Assert.DoesNotContain(lines, l => l.Contains(" ERR]") || l.Contains(" FTL]") || l.Contains("amp111"));

        Assert.Equal(3, (await server.WaitForActionCountAsync("Originate", 3)).Count);
        Assert.Equal(3, (await server.WaitForActionCountAsync("Hangup", 3)).Count);
    }

    [Fact]
    public async Task The_minimal_host_sample_reports_failed_calls_with_their_reason()
    {
        await using var server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { OriginateOutcome = FakeOriginateOutcome.Busy });
        var (exitCode, lines) = await RunSampleAsync(new Dictionary<string, string>
        {
            ["Ami__Servers__0__Port"] = server.Port.ToString(CultureInfo.InvariantCulture),
            ["Ami__Servers__0__Secret"] = "amp111",
            ["Dialer__StopWhenDone"] = "true",
            ["Dialer__Calls"] = "2",
        });
        string all = string.Join('\n', lines);

        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{all}");
        Assert.Equal(2, lines.Count(l => l.Contains("OriginateResponse Failure, Reason 5 (busy)")));
        Assert.Contains(lines, l => l.Contains("Hung up 0 calls"));
        Assert.Contains(lines, l => l.Contains("Dialer done: 0 of 2 calls answered"));
    }

    private async Task<(int ExitCode, List<string> Lines)> RunSampleAsync(IReadOnlyDictionary<string, string> environment)
    {
        string dll = SamplePath("AmiActors.Samples.MinimalHost");
        // The dotnet that runs these tests (the CLI sets DOTNET_HOST_PATH for its children), else the one on the PATH.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var lines = new ConcurrentQueue<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue("stderr: " + e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"the sample did not stop within {Patience.TotalSeconds} s:\n{string.Join('\n', lines)}");
        }
        process.WaitForExit(); // drains the redirected streams
        foreach (var line in lines)
        {
            output.WriteLine(line);
        }
        return (process.ExitCode, lines.ToList());
    }

    /// <summary>The built sample's assembly, in the same configuration as this test assembly.</summary>
    internal static string SamplePath(string project)
    {
        string configuration = typeof(MinimalHostSampleTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        string framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        string dll = Path.Combine(RepositoryFiles.Root, "samples", project, "bin", configuration, framework, project + ".dll");
        Assert.True(File.Exists(dll), $"{dll} was not built (the test project references the sample, so building the tests builds it)");
        return dll;
    }
}
