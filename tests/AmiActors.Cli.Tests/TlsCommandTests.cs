using AmiActors.TestKit;

namespace AmiActors.Cli.Tests;

public class TlsCommandTests : IAsyncLifetime
{
    private FakeAsteriskServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { UseTls = true });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_self_signed_certificate_is_accepted_with_insecure()
    {
        var run = await CliRun.RunAsync("send", "--url", $"tls://admin:amp111@127.0.0.1:{_server.Port}", "--insecure", "Ping");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Ping: Pong", run.Stdout);
    }

    [Fact]
    public async Task A_self_signed_certificate_is_refused_by_default_with_exit_3()
    {
        var run = await CliRun.RunAsync("send", "--url", $"tls://admin:amp111@127.0.0.1:{_server.Port}", "Ping");
        Assert.Equal(ExitCodes.Connection, run.ExitCode);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("amp111", run.Stderr);
    }
}
