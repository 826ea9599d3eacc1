using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AmiActors.Cli.Tests;

/// <summary>Runs only when every named environment variable is set; skipped with the reason otherwise.</summary>
public sealed class AsteriskFactAttribute : FactAttribute
{
    public AsteriskFactAttribute(params string[] variables)
    {
        foreach (var variable in variables)
        {
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable)))
            {
                Skip = variable == "AMI_RESTART_CMD"
                    ? "AMI_RESTART_CMD is not set (a shell command that restarts the Asterisk of AMI_URL): this test may not restart it."
                    : $"{variable} is not set (tcp://user:secret@host:port): no real Asterisk to test against.";
                return;
            }
        }
    }
}

/// <summary><c>ami listen</c> and <c>ami send</c> against a real Asterisk.</summary>
[Trait("Category", "Functional")]
public class FunctionalListenTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ami-functional-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Uri Url => new(Environment.GetEnvironmentVariable("AMI_URL")!);

    private string Config()
    {
        var user = Url.UserInfo.Split(':', 2);
        var path = Path.Combine(_dir, "real.conf");
        File.WriteAllText(path, $$"""
            ami.servers { real { host = "{{Url.Host}}", port = {{(Url.Port > 0 ? Url.Port : 5038)}}, username = "{{Uri.UnescapeDataString(user[0])}}", secret = "{{Uri.UnescapeDataString(user[1])}}" } }
            ami.reconnect { min-backoff = 500ms, max-backoff = 5s }
            ami.connection { heartbeat-interval = 5s, heartbeat-timeout = 3s }
            """);
        return path;
    }

    private static async Task WaitForAsync(ConcurrentWriter output, Func<string, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(output.ToString()))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within {timeout.TotalSeconds} s:\n{output}");
            await Task.Delay(100);
        }
    }

    [AsteriskFact("AMI_URL")]
    public async Task Send_Ping_to_the_real_server_prints_Pong_and_a_wrong_secret_exits_3()
    {
        var ok = await CliRun.RunAsync("send", "--url", Url.ToString(), "Ping");
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("Ping: Pong", ok.Stdout);

        var wrong = new UriBuilder(Url) { Password = "Wrong-Secret-99" }.Uri.ToString();
        var denied = await CliRun.RunAsync("send", "--url", wrong, "Ping");
        Assert.Equal(ExitCodes.Connection, denied.ExitCode);
        Assert.Contains("Authentication failed", denied.Stderr);
        Assert.DoesNotContain("Wrong-Secret-99", denied.Stderr);
        Assert.DoesNotContain("next attempt", denied.Stderr);
        Assert.DoesNotContain("..", denied.Stderr);
    }

    [AsteriskFact("AMI_URL", "AMI_RESTART_CMD")]
    public async Task Listen_survives_an_Asterisk_restart_and_says_when_it_is_back()
    {
        var stdout = new ConcurrentWriter();
        using var stop = new CancellationTokenSource();
        var listen = CliRun.RunAsync(["listen", "--config", Config()], null, null, TimeSpan.FromMinutes(4), stdout, stop.Token);
        await WaitForAsync(stdout, s => s.Contains("logged in to", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the first login");

        using (var restart = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", Environment.GetEnvironmentVariable("AMI_RESTART_CMD")!])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!)
        {
            await restart.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(0, restart.ExitCode);
        }
        await WaitForAsync(stdout, s => Regex.IsMatch(s, @"logged in to .* after \d+ attempt\(s\), down for \d+ ms"), TimeSpan.FromSeconds(90), "the login after the restart");

        var sent = await CliRun.RunAsync("send", "--url", Url.ToString(), "UserEvent", "UserEvent=amiactors-after-restart");
        Assert.Equal(0, sent.ExitCode);
        await WaitForAsync(stdout, s => s.IndexOf("down for", StringComparison.Ordinal) is var back and >= 0 && s.IndexOf("real UserEvent", back, StringComparison.Ordinal) > 0,
            TimeSpan.FromSeconds(20), "the UserEvent after the restart");

        stop.Cancel();
        var run = await listen;
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(Url.UserInfo.Split(':', 2)[1], run.Stdout);
    }
}
