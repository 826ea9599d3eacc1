using Akka.Actor;
using Akka.Hosting;
using AmiActors.Cluster;
using AmiActors.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;
using System.Globalization;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AmiActors.Cli;

/// <summary>
/// <c>ami listen</c>: the worker. A Generic Host running Akka.Hosting with the AMI manager for the configured servers
/// (or only those named by <c>--server</c>), every event logged through Serilog, stopped gracefully on SIGTERM/SIGINT.
/// </summary>
internal static class ListenCommand
{
    /// <summary>The worker's own defaults, under anything the configuration sets (see docs/operations.md, Idle cost).</summary>
    internal static readonly Akka.Configuration.Config IdleConfig = Akka.Configuration.ConfigurationFactory.ParseString("akka.scheduler.tick-duration = 100ms");

    internal const string LogTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public static async Task<int> RunAsync(CliConsole console, string? configFile, IReadOnlyList<string> onlyServers, string? http, string? logFormat, CancellationToken ct)
    {
        var setup = ListenConfiguration.Load(configFile, onlyServers, http, logFormat);
        var options = setup.Options;
        var hocon = setup.Hocon;
        // Everything is read and checked above: the host adds no configuration files of its own (and no file watchers).
        // Before anything opens a socket: .NET reads the switch once, at its first asynchronous socket operation.
        bool? socketThread = setup.SocketThread ? AmiActors.Actors.SocketThreadDispatcherConfigurator.EnableInlineSocketCompletions() : null;
        var settings = new HostApplicationBuilderSettings { Args = [], ContentRootPath = Directory.GetCurrentDirectory(), DisableDefaults = true };
        var builder = Host.CreateApplicationBuilder(settings);

        builder.Services.AddSerilog((_, log) =>
        {
            log.MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
                .Enrich.FromLogContext();
            ITextFormatter formatter = setup.LogFormat == LogFormat.Json
                ? new CompactJsonFormatter()
                : new MessageTemplateTextFormatter(LogTemplate, CultureInfo.InvariantCulture);
            if (ReferenceEquals(console.Stdout, Console.Out))
            {
                if (setup.LogFormat == LogFormat.Json)
                {
                    log.WriteTo.Console(formatter);
                }
                else
                {
                    log.WriteTo.Console(outputTemplate: LogTemplate, formatProvider: CultureInfo.InvariantCulture);
                }
            }
            else
            {
                log.WriteTo.Sink(new TextWriterSink(console.Stdout, formatter));
            }
        }, writeToProviders: false);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddSingleton<IOptions<AmiOptions>>(Options.Create(options));
        builder.Services.AddAmiClient();
        if (setup.Cluster is not null)
        {
            ListenClusterHealth.Add(builder.Services.AddHealthChecks(), setup.ServerIds);
        }
        else
        {
            builder.Services.AddHealthChecks().AddAmiHealthChecks([.. setup.ServerIds]);
        }
        builder.Services.AddAkka(ListenCluster.SystemName, (akka, sp) =>
        {
            akka.WithAmiSerilog();
            if (setup.Cluster is { } cluster)
            {
                WithListenCluster(akka, sp, options, cluster);
            }
            else
            {
                akka.WithAmi(options);
            }
            // Akka's scheduler wakes every tick (10 ms by default) even with nothing to do; AMI timers are seconds long.
            akka.AddHocon(IdleConfig, HoconAddMode.Append);
            if (socketThread == true)
            {
                akka.AddHocon(AmiActors.Actors.SocketThreadDispatcherConfigurator.DefaultDispatcherConfig, HoconAddMode.Append);
            }
            if (hocon is not null)
            {
                akka.AddHocon(hocon, HoconAddMode.Prepend);
            }
        });
        if (setup.Http is { } address)
        {
            builder.Services.AddSingleton(sp => new HttpEndpointService(address, sp.GetRequiredService<HealthCheckService>(), sp.GetRequiredService<ILoggerFactory>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<HttpEndpointService>());
        }
        // Registered after Akka so that it stops first, while the stream can still complete.
        builder.Services.AddHostedService(sp => new EventLogService(sp.GetRequiredService<IAmiClient>(), sp.GetRequiredService<ActorSystem>(), setup.Servers,
            setup.Cluster, socketThread, sp.GetRequiredService<ILogger<EventLogService>>()));
        using var host = builder.Build();
        await host.RunAsync(ct).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// A cluster node: Akka.Remote and Akka.Cluster from <paramref name="cluster"/>, AmiActors.Cluster over them (a sharding
    /// region on workers with the hosting role, a proxy on the others), the same <see cref="IAmiClient"/> and metrics feed
    /// as a single node. A graceful stop runs CoordinatedShutdown: the node leaves the cluster and hands its PBXs off.
    /// </summary>
    private static void WithListenCluster(AkkaConfigurationBuilder akka, IServiceProvider sp, AmiOptions options, ListenCluster cluster)
    {
        akka.AddHocon(Akka.Configuration.ConfigurationFactory.ParseString(options.ToHocon()), HoconAddMode.Prepend);
        akka.AddHocon(cluster.ToHocon(), HoconAddMode.Prepend);
        akka.WithAmiCluster(new AmiClusterOptions { HostConnections = cluster.HostsConnections });
        bool metricsOn = options.EnableMetrics;
        akka.AddStartup(async (system, _) =>
        {
            var client = await system.GetAmiClusterClientAsync().ConfigureAwait(false);
            if (metricsOn && sp.GetService<AmiMetrics>() is { } metrics)
            {
                system.ActorOf(AmiMetricsActor.Props(client.Manager, metrics), "ami-metrics");
            }
            sp.GetRequiredService<HostedAmiClient>().Started(client);
        });
    }

    /// <summary>
    /// Logs every event, structured: server, event name, and the common channel fields. Subscribes, then adds the servers.
    /// On a cluster it also logs each server's state changes with the node that hosts it, and a server another worker has
    /// already defined cluster-wide is kept as it is.
    /// </summary>
    private sealed class EventLogService(IAmiClient client, ActorSystem system, IReadOnlyList<AmiServerDefinition> servers, ListenCluster? cluster,
        bool? socketThread, ILogger<EventLogService> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            if (socketThread == true)
            {
                logger.LogInformation("Socket thread: reads run on .NET's socket thread (ami.listen.socket-thread = on)");
            }
            else if (socketThread == false)
            {
                logger.LogWarning("Socket thread: ami.listen.socket-thread is on, but .NET hands socket completions to the thread pool "
                    + "(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS is set to something other than 1): reads stay on the thread pool");
            }
            var materializer = Akka.Streams.ActorMaterializer.Create(system);
            var ((subscribed, killSwitch), done) = client.Events(bufferSize: 65_536)
                .ViaMaterialized(Akka.Streams.KillSwitches.Single<AmiEventReceived>(), Akka.Streams.Dsl.Keep.Both)
                .ToMaterialized(Akka.Streams.Dsl.Sink.ForEach<AmiEventReceived>(Log), Akka.Streams.Dsl.Keep.Both)
                .Run(materializer);
            await using (stoppingToken.Register(killSwitch.Shutdown))
            {
                await subscribed.WaitAsync(stoppingToken).ConfigureAwait(false);
                if (cluster is null)
                {
                    foreach (var server in servers)
                    {
                        await client.AddServerAsync(server, stoppingToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    await StartClusterAsync(cluster, stoppingToken).ConfigureAwait(false);
                }
                // The stream also ends when the actor system is terminated under it; never outlive the stop request.
                await Task.WhenAny(done, Task.Delay(Timeout.Infinite, stoppingToken)).ConfigureAwait(false);
            }
        }

        private async Task StartClusterAsync(ListenCluster cluster, CancellationToken ct)
        {
            var clusterClient = await system.GetAmiClusterClientAsync().WaitAsync(ct).ConfigureAwait(false);
            // The bound address (the configured port may be 0).
            string self = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
            var placement = system.ActorOf(Props.Create(() => new PlacementLogActor(clusterClient.Manager, self, logger)), "ami-listen-placement");
            await clusterClient.SubscribeConnectionStateAsync(placement).WaitAsync(ct).ConfigureAwait(false);
            logger.LogInformation("Cluster node {AmiNode} ({AmiNodeRoles}), seed nodes {AmiSeedNodes}: {AmiClusterPart}",
                self, string.Join(",", cluster.Roles), string.Join(", ", cluster.SeedNodes),
                cluster.HostsConnections ? "hosts PBX connections" : $"proxy-only (no role '{cluster.HostingRole}'), hosts no PBX connection");
            foreach (var server in servers)
            {
                // Another worker may have defined it already (the same configuration on every worker): keep its definition.
                var known = await clusterClient.GetServersAsync(ct).ConfigureAwait(false);
                if (known.Any(s => s.ServerId == server.Id))
                {
                    continue;
                }
                try
                {
                    await clusterClient.AddServerAsync(server, ct).ConfigureAwait(false);
                }
                catch (AmiException e) when (e is not AmiConfigurationException)
                {
                    // Added by another worker in the meantime, or written here but not yet confirmed by the other nodes (it spreads).
                    if (!(await clusterClient.GetServersAsync(ct).ConfigureAwait(false)).Any(s => s.ServerId == server.Id))
                    {
                        logger.LogWarning("AMI server {AmiServer}: {Reason}", server.Id, e.Message);
                    }
                }
            }
        }

        private void Log(AmiEventReceived e)
        {
            var m = e.Event;
            logger.LogInformation("{AmiServer} {AmiEvent} channel={Channel} uniqueid={Uniqueid} linkedid={Linkedid} state={ChannelStateDesc}",
                e.ServerId, m.EventName, m.Get("Channel"), m.Get("Uniqueid"), m.Get("Linkedid"), m.Get("ChannelStateDesc"));
        }
    }

    /// <summary>Writes formatted log events to a writer (the in-process console of tests).</summary>
    internal sealed class TextWriterSink(TextWriter output, ITextFormatter formatter) : ILogEventSink
    {
        private readonly object _gate = new();

        public void Emit(LogEvent logEvent)
        {
            lock (_gate)
            {
                formatter.Format(logEvent, output);
                output.Flush();
            }
        }
    }
}
