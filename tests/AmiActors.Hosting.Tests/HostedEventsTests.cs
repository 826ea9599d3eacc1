using Akka.Actor;
using Akka.Hosting;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors.Events;
using AmiActors.Hosting;
using AmiActors.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AmiActors.Hosting.Tests;

/// <summary>The injected IAmiClient's event sources, materialized before or after the actor system starts.</summary>
public class HostedEventsTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private FakeAsteriskServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeAsteriskServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_typed_stream_materialized_before_the_host_starts_goes_live_once_it_runs_and_sees_what_follows()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAmiClient();
        builder.Services.AddAkka("hosted-events-test", akka => akka.WithAmi("pbx1", "127.0.0.1", _server.Port, "admin", "amp111"));
        using var host = builder.Build();
        var client = host.Services.GetRequiredService<IAmiClient>();
        // A materializer of a system of our own: the host's does not exist yet.
        using var other = ActorSystem.Create("materializer-system");
        var (live, hangups) = client.Events<HangupEvent>("pbx1")
            .Take(2)
            .ToMaterialized(Sink.Seq<HangupEvent>(), Keep.Both)
            .Run(other.Materializer());
        await Task.Delay(200);
        Assert.False(live.IsCompleted, "live before the manager runs");

        await host.StartAsync();
        try
        {
            await live.WaitAsync(Patience);
            await _server.WaitForLoginsAsync(1, Patience);
            await _server.EmitEventAsync(FakeAmiEvents.Hangup(new FakeChannel("PJSIP/1-00000001")));
            await _server.EmitEventAsync(FakeAmiEvents.Hangup(new FakeChannel("PJSIP/2-00000002")));
            var received = await hangups.WaitAsync(Patience);
            Assert.Equal(["PJSIP/1-00000001", "PJSIP/2-00000002"], received.Select(h => h.Channel));
        }
        finally
        {
            await host.StopAsync();
            await other.Terminate();
        }
    }

    [Fact]
    public async Task A_stream_of_a_host_that_never_starts_cancels_its_live_task_when_stopped()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAmiClient();
        using var host = builder.Build();
        var client = host.Services.GetRequiredService<IAmiClient>();
        using var other = ActorSystem.Create("materializer-system-2");
        try
        {
            var ((live, killSwitch), done) = client.Events("pbx1")
                .ViaMaterialized(KillSwitches.Single<AmiEventReceived>(), Keep.Both)
                .ToMaterialized(Sink.Ignore<AmiEventReceived>(), Keep.Both)
                .Run(other.Materializer());
            killSwitch.Shutdown();
            await done.WaitAsync(Patience);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => live.WaitAsync(Patience));
        }
        finally
        {
            await other.Terminate();
        }
    }
}
