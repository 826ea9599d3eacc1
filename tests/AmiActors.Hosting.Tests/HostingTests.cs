using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Akka.Hosting;
using AmiActors.Hosting;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace AmiActors.Hosting.Tests;

/// <summary>A Generic Host with Akka.Hosting and WithAmi, talking real TCP to the fake Asterisk.</summary>
public class HostingTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private FakeAsteriskServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeAsteriskServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private IHost BuildHost(Action<IServiceCollection, IConfiguration> configure, Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        configure(builder.Services, builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public async Task WithAmi_starts_the_manager_and_the_injected_client_sends_a_Ping()
    {
        using var host = BuildHost((services, _) =>
        {
            services.AddAmiClient();
            services.AddAkka("hosting-test", akka => akka.WithAmi("pbx1", "127.0.0.1", _server.Port, "admin", "amp111"));
        });
        // Resolved before the host starts, as a hosted service's constructor would.
        var client = host.Services.GetRequiredService<IAmiClient>();
        var pending = client.SendAsync("pbx1", new AmiAction("Ping"));
        await host.StartAsync();
        try
        {
            var result = await pending.WaitAsync(Patience);
            Assert.True(result.IsSuccess);
            Assert.Equal("Pong", result.Response.Get("Ping"));
            var registry = host.Services.GetRequiredService<ActorRegistry>();
            Assert.Equal(client.Manager, registry.Get<AmiManagerKey>());
            Assert.Equal("ami", client.Manager.Path.Name);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task The_one_liner_binds_configuration_and_reports_health_and_metrics()
    {
        var measurements = new ConcurrentQueue<(string Instrument, long Value, string? Server)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AmiMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? server = null;
            foreach (var tag in tags)
            {
                if (tag.Key == AmiMetrics.ServerTag)
                {
                    server = tag.Value as string;
                }
            }
            measurements.Enqueue((instrument.Name, value, server));
        });
        listener.Start();

        using var host = BuildHost((services, configuration) => services.AddAmiActors(configuration, "hosting-test-2"), new Dictionary<string, string?>
        {
            ["Ami:Servers:0:Id"] = "fake",
            ["Ami:Servers:0:Host"] = "127.0.0.1",
            ["Ami:Servers:0:Port"] = _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ami:Servers:0:Username"] = "admin",
            ["Ami:Servers:0:Secret"] = "amp111",
        });
        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredService<IAmiClient>();
            var result = await client.SendAsync("fake", new AmiAction("Ping")).WaitAsync(Patience);
            Assert.True(result.IsSuccess);

            var health = host.Services.GetRequiredService<HealthCheckService>();
            var report = await health.CheckHealthAsync();
            var entry = Assert.Single(report.Entries);
            Assert.Equal("ami:fake", entry.Key);
            Assert.Equal(HealthStatus.Healthy, entry.Value.Status);

            await _server.EmitEventAsync(("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/1-1"));
            var deadline = DateTime.UtcNow + Patience;
            while (!measurements.Any(m => m.Instrument == "ami.events.received" && m.Server == "fake") && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            Assert.Contains(measurements, m => m.Instrument == "ami.actions.sent" && m.Server == "fake" && m.Value == 1);
            Assert.Contains(measurements, m => m.Instrument == "ami.events.received" && m.Server == "fake");

            await _server.StopAsync(sendShutdownEvent: false);
            deadline = DateTime.UtcNow + Patience;
            while ((await health.CheckHealthAsync()).Status == HealthStatus.Healthy && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            Assert.Equal(HealthStatus.Degraded, (await health.CheckHealthAsync()).Status);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_server_with_rejected_credentials_is_unhealthy()
    {
        using var host = BuildHost((services, configuration) =>
        {
            services.AddAmiClient();
            services.AddHealthChecks().AddAmiHealthChecks("pbx1");
            services.AddAkka("hosting-test-3", akka => akka.WithAmi(o => o.AddServer("pbx1", "127.0.0.1", _server.Port, "admin", "wrong")));
        });
        await host.StartAsync();
        try
        {
            var health = host.Services.GetRequiredService<HealthCheckService>();
            var deadline = DateTime.UtcNow + Patience;
            HealthReport report;
            do
            {
                report = await health.CheckHealthAsync();
                if (report.Status == HealthStatus.Unhealthy)
                {
                    break;
                }
                await Task.Delay(100);
            }
            while (DateTime.UtcNow < deadline);
            Assert.Equal(HealthStatus.Unhealthy, report.Status);
            Assert.Contains("AuthenticationFailed", report.Entries["ami:pbx1"].Description);
            Assert.DoesNotContain("wrong", report.Entries["ami:pbx1"].Description);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task With_no_server_configured_the_health_check_is_degraded_until_one_is_added()
    {
        using var host = BuildHost((services, configuration) => services.AddAmiActors(configuration, "hosting-test-4"));
        await host.StartAsync();
        try
        {
            var health = host.Services.GetRequiredService<HealthCheckService>();
            var report = await health.CheckHealthAsync();
            var entry = Assert.Single(report.Entries);
            Assert.Equal("ami", entry.Key);
            Assert.Equal(HealthStatus.Degraded, entry.Value.Status);
            Assert.Equal("no AMI server configured", entry.Value.Description);

            // The same check covers servers added at run time.
            var client = host.Services.GetRequiredService<IAmiClient>();
            await client.AddServerAsync(new AmiServerDefinition("pbx1", "127.0.0.1", _server.Port, "admin", "amp111"));
            var deadline = DateTime.UtcNow + Patience;
            while ((report = await health.CheckHealthAsync()).Status != HealthStatus.Healthy && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            Assert.Equal(HealthStatus.Healthy, report.Status);
            Assert.Equal("pbx1: Connected", report.Entries["ami"].Description);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
