using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests.Fault;

/// <summary>
/// Shared setup of the fault-injection suite: fake Asterisk servers on loopback (real TCP), an <see cref="AmiClient"/> in the
/// test's actor system, and helpers to wait for states. Servers are disposed after each test.
/// </summary>
public abstract class FaultTestBase : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    /// <summary>HOCON that swaps the scheduler for the TestKit's virtual-time one (timers move only when a test advances them).</summary>
    protected const string VirtualTime = "akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"";

    /// <summary>Generous wait for things that happen in real time on a loaded machine.</summary>
    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    private readonly List<FakeAsteriskServer> _servers = new();

    protected FaultTestBase(ITestOutputHelper output, string? config = null)
        : base(ConfigurationFactory.ParseString((config ?? "") + "\nakka.loglevel = INFO\nakka.log-dead-letters = off"), output: output)
    {
    }

    /// <summary>The virtual-time scheduler (only for classes built with <see cref="VirtualTime"/>).</summary>
    protected TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    /// <summary>Short backoffs, heartbeat off unless a test turns it on.</summary>
    protected static AmiSettings Fast(params AmiServerDefinition[] servers) => AmiSettings.Default with
    {
        MinBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromMilliseconds(500),
        HeartbeatInterval = null,
        DrainTimeout = TimeSpan.FromSeconds(2),
        Servers = servers,
    };

    protected async Task<FakeAsteriskServer> StartServerAsync(FakeAsteriskOptions? options = null)
    {
        var server = await FakeAsteriskServer.StartAsync(options ?? new FakeAsteriskOptions { FailedLoginDelay = TimeSpan.FromMilliseconds(50) });
        _servers.Add(server);
        return server;
    }

    protected static AmiServerDefinition Definition(FakeAsteriskServer server, string id = "pbx1", string secret = "amp111", AmiAuthType authType = AmiAuthType.Plain) =>
        new(id, "127.0.0.1", server.Port, "admin", secret) { AuthType = authType };

    /// <summary>Starts the client; waits until every configured server is logged in unless told not to.</summary>
    protected async Task<AmiClient> StartClientAsync(AmiSettings settings, bool waitConnected = true)
    {
        var client = AmiClient.Start(Sys, settings);
        if (waitConnected)
        {
            foreach (var s in settings.Servers)
            {
                await WaitForStateAsync(client, s.Id, AmiConnectionState.Connected);
            }
        }
        return client;
    }

    /// <summary>Polls the manager (an Ask, real time) until the server reports <paramref name="state"/>.</summary>
    protected static async Task WaitForStateAsync(AmiClient client, string serverId, AmiConnectionState state, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Long);
        while (true)
        {
            var servers = await client.GetServersAsync();
            if (servers.Any(s => s.ServerId == serverId && s.State == state))
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"server {serverId} did not reach {state}; states: {string.Join(", ", servers)}");
            }
            await Task.Delay(20);
        }
    }

    protected static async Task<AmiServerStatus> StatusAsync(AmiClient client, string serverId = "pbx1") =>
        (await client.GetServersAsync()).Single(s => s.ServerId == serverId);

    /// <summary>A probe receiving every <see cref="ConnectionStateChanged"/> of the system.</summary>
    protected TestProbe StateProbe()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(ConnectionStateChanged));
        return probe;
    }

    protected static Task<ConnectionStateChanged> NextStateAsync(TestProbe states, AmiConnectionState state) =>
        states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == state, Long).AsTask();

    /// <summary>One frame in wire form.</summary>
    protected static byte[] Frame(params (string Name, string Value)[] headers) => AmiMessage.Create(headers).ToWireBytes();

    /// <summary>A numbered UserEvent, as a frame.</summary>
    protected static byte[] UserEvent(string tag, int seq) =>
        Frame(("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", tag), ("Seq", seq.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var s in _servers)
        {
            await s.DisposeAsync();
        }
    }
}
