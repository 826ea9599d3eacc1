using System.Threading.Channels;
using AmiActors.Protocol;

namespace AmiActors.TestKit.Simulation;

/// <summary>
/// A <see cref="CallSimulator"/> running on the wall clock against a <see cref="FakeAsteriskServer"/>: its events are
/// emitted to the server's logged-in sessions in order, and the server answers <c>CoreShowChannels</c> with the
/// simulated channels. Dispose to stop (the server keeps running).
/// </summary>
/// <example><code>
/// await using var server = await FakeAsteriskServer.StartAsync();
/// await using var load = CallSimulation.Start(server, new CallSimulatorOptions { CallsPerSecond = 20 });
/// </code></example>
public sealed class CallSimulation : IAsyncDisposable
{
    private readonly Channel<AmiMessage> _pending = Channel.CreateBounded<AmiMessage>(new BoundedChannelOptions(100_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropOldest,
    });
    private readonly CancellationTokenSource _stop = new();
    private readonly IDisposable _coreShowChannels;
    private readonly Task _clock;
    private readonly Task _pump;

    private CallSimulation(FakeAsteriskServer server, CallSimulatorOptions? options)
    {
        Simulator = new CallSimulator(m => _pending.Writer.TryWrite(m), options);
        _coreShowChannels = server.OnAction("CoreShowChannels", async ctx =>
        {
            await ctx.SendListAsync("Channels will follow", "CoreShowChannelsComplete", Simulator.CoreShowChannelsItems()).ConfigureAwait(false);
            return null;
        });
        _clock = Simulator.RunAsync(_stop.Token);
        _pump = PumpAsync(server);
    }

    /// <summary>The simulator (counters, channels).</summary>
    public CallSimulator Simulator { get; }

    /// <summary>Starts simulated traffic on <paramref name="server"/>.</summary>
    public static CallSimulation Start(FakeAsteriskServer server, CallSimulatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new CallSimulation(server, options);
    }

    private async Task PumpAsync(FakeAsteriskServer server)
    {
        await foreach (var message in _pending.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await server.EmitEventAsync(message).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // A session closing while an event is queued to it: the simulation goes on for the others.
            }
        }
    }

    /// <summary>Stops the traffic and removes the CoreShowChannels handler.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _clock.ConfigureAwait(false);
        _pending.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
        _coreShowChannels.Dispose();
        _stop.Dispose();
    }
}
