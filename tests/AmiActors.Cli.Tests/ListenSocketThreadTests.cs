using System.Globalization;
using AmiActors.TestKit;

namespace AmiActors.Cli.Tests;

/// <summary><c>ami.listen.socket-thread</c>, in real <c>ami listen</c> processes (the switch is read once per process).</summary>
[Collection(ListenClusterCollection.Name)]
public sealed class ListenSocketThreadTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private FakeAsteriskServer _pbx = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("ami-listen-socket-thread-").FullName;
        _pbx = await FakeAsteriskServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _pbx.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task With_socket_thread_on_the_worker_reads_on_the_socket_thread_and_logs_every_event()
    {
        using var worker = StartWorker([]);
        await UntilAsync(worker, "reads run on .NET's socket thread");
        await EventsAreLoggedAsync(worker);
        await StopsCleanlyAsync(worker);
    }

    [Fact]
    public async Task When_dotnet_keeps_completions_on_the_thread_pool_the_worker_says_so_and_still_logs_every_event()
    {
        using var worker = StartWorker(new() { ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "0" });
        await UntilAsync(worker, "reads stay on the thread pool");
        await EventsAreLoggedAsync(worker);
        Assert.DoesNotContain("reads run on .NET's socket thread", worker.Output);
        await StopsCleanlyAsync(worker);
    }

    private static async Task StopsCleanlyAsync(Worker worker)
    {
        worker.Terminate();
        int exitCode = await worker.WaitForExitAsync(Long);
        Assert.True(exitCode == 0, $"the worker exited with {exitCode}:\n{worker.Output}");
    }

    private Worker StartWorker(Dictionary<string, string> environment)
    {
        string config = Path.Combine(_dir, "listen.conf");
        File.WriteAllText(config, $$"""
            ami.servers.pbx1 { host = "127.0.0.1", port = {{_pbx.Port}}, username = "admin", secret = "amp111" }
            ami.listen.socket-thread = on
            """);
        return Worker.Start("worker", _dir, ["listen", "--config", config], environment);
    }

    private async Task EventsAreLoggedAsync(Worker worker)
    {
        await UntilAsync(worker, "Connected");
        var session = (await _pbx.WaitForLoginsAsync(1, Long)).Single();
        const int count = 300;
        for (int i = 1; i <= count; i++)
        {
            await session.SendEventAsync(("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/st-" + i.ToString(CultureInfo.InvariantCulture)),
                ("Uniqueid", "st." + i.ToString(CultureInfo.InvariantCulture)));
        }
        await UntilAsync(worker, $"uniqueid=st.{count}");
        for (int i = 1; i <= count; i++)
        {
            Assert.Contains($"uniqueid=st.{i.ToString(CultureInfo.InvariantCulture)} ", worker.Output + " ");
        }
    }

    private static async Task UntilAsync(Worker worker, string text)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!worker.Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"'{text}' did not appear in the worker's output:\n{worker.Output}");
            }
            await Task.Delay(50);
        }
    }
}
