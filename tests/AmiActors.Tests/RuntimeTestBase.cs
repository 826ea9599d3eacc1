using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>Starts fake Asterisk servers on loopback and an AmiClient in the test's actor system; disposes them after the test.</summary>
public abstract class RuntimeTestBase : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private readonly List<FakeAsteriskServer> _servers = new();

    protected RuntimeTestBase(ITestOutputHelper output, string? extraConfig = null)
        : base(ConfigurationFactory.ParseString((extraConfig ?? "") + "\nakka.loglevel = INFO\nakka.log-dead-letters = off"), output: output)
    {
    }

    /// <summary>Settings for fast tests: short backoffs, heartbeat off unless a test turns it on.</summary>
    protected static AmiSettings FastSettings(params AmiServerDefinition[] servers) => AmiSettings.Default with
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

    protected static AmiServerDefinition Definition(FakeAsteriskServer server, string id = "pbx1", string username = "admin", string secret = "amp111") =>
        new(id, "127.0.0.1", server.Port, username, secret) { UseTls = server.Options.UseTls, AcceptInvalidCertificate = server.Options.UseTls };

    /// <summary>Starts the client and waits until every server in <paramref name="settings"/> is logged in.</summary>
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

    protected static AmiAction Ping => new("Ping");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var s in _servers)
        {
            await s.DisposeAsync();
        }
    }
}
