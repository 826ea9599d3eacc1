using System.Text.Json;

namespace AmiActors.Cli.Tests;

public class RuntimeConfigTests
{
    [Fact]
    public void The_worker_ships_with_thread_pool_workers_that_spin_before_sleeping()
    {
        // ami.runtimeconfig.json is built next to ami.dll and copied with it; the setting is what makes round trips fast on
        // small machines (README, "Runtime"), so losing it would be a silent regression.
        string path = Path.Combine(AppContext.BaseDirectory, "ami.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.Equal(10_000, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}
