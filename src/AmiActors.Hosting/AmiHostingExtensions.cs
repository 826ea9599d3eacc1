using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AmiActors.Hosting;

/// <summary>Akka.Hosting and Microsoft.Extensions integration: <c>WithAmi</c>, <c>AddAmi</c>, <c>AddAmiHealthChecks</c>.</summary>
public static class AmiHostingExtensions
{
    /// <summary>Starts the AMI manager (actor <c>ami</c>) connected to one server, and registers it as <see cref="AmiManagerKey"/>.</summary>
    public static AkkaConfigurationBuilder WithAmi(this AkkaConfigurationBuilder builder, string serverId, string host, int port, string username, string secret,
        AmiAuthType authType = AmiAuthType.Plain, string? eventMask = null) =>
        builder.WithAmi(o => o.AddServer(serverId, host, port, username, secret, s =>
        {
            s.AuthType = authType;
            s.EventMask = eventMask;
        }));

    /// <summary>Starts the AMI manager configured by <paramref name="configure"/>, and registers it as <see cref="AmiManagerKey"/>.</summary>
    public static AkkaConfigurationBuilder WithAmi(this AkkaConfigurationBuilder builder, Action<AmiOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new AmiOptions();
        configure(options);
        return builder.WithAmi(options);
    }

    /// <summary>
    /// Starts the AMI manager with <paramref name="options"/> (only what is set is emitted as HOCON, over the embedded
    /// reference.conf), registers it in the ActorRegistry as <see cref="AmiManagerKey"/>, starts the metrics feed when
    /// <see cref="AmiOptions.EnableMetrics"/>, and completes the <see cref="IAmiClient"/> registered by <c>AddAmiClient</c>.
    /// </summary>
    public static AkkaConfigurationBuilder WithAmi(this AkkaConfigurationBuilder builder, AmiOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.AddHocon(ConfigurationFactory.ParseString(options.ToHocon()), HoconAddMode.Prepend);
        builder.AddHocon(AmiRuntime.DefaultConfig, HoconAddMode.Append);
        bool metricsOn = options.EnableMetrics;
        builder.WithActors((system, registry, resolver) =>
        {
            var client = AmiRuntime.Start(system);
            registry.Register<AmiManagerKey>(client.Manager);
            var hosted = AmiRuntime.TryGetService<HostedAmiClient>(system);
            if (metricsOn)
            {
                var metrics = AmiRuntime.TryGetService<AmiMetrics>(system);
                if (metrics is null)
                {
                    metrics = new AmiMetrics();
                    system.RegisterOnTermination(metrics.Dispose);
                }
                system.ActorOf(AmiMetricsActor.Props(client.Manager, metrics), "ami-metrics");
            }
            hosted?.Started(client);
        });
        return builder;
    }

    /// <summary>
    /// Starts the AMI manager with the options bound by <see cref="AddAmi(IServiceCollection, IConfiguration, Action{AmiOptions}?)"/>
    /// (use inside <c>AddAkka(name, (akka, sp) =&gt; akka.WithAmi(sp))</c>).
    /// </summary>
    public static AkkaConfigurationBuilder WithAmi(this AkkaConfigurationBuilder builder, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return builder.WithAmi(services.GetRequiredService<IOptions<AmiOptions>>().Value);
    }

    /// <summary>
    /// Routes Akka's and AmiActors' logs to Microsoft.Extensions.Logging (the host's <c>ILoggerFactory</c>, and from there to
    /// any provider). For users without Serilog; with Serilog, prefer <see cref="WithAmiSerilog"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithAmiLogging(this AkkaConfigurationBuilder builder) =>
        builder.ConfigureLoggers(setup =>
        {
            setup.ClearLoggers();
            setup.AddLoggerFactory();
        });

    /// <summary>
    /// Makes Akka.Logger.Serilog's <c>SerilogLogger</c> Akka's only logger, with its message formatter, so Akka's and AmiActors'
    /// log events reach Serilog as message templates whose named values (<c>ServerId</c>, <c>PreviousState</c>, <c>State</c>,
    /// <c>Reason</c>, ...) are structured properties, plus <c>ActorPath</c>, <c>LogSource</c> and <c>SourceContext</c>.
    /// They go to Serilog's global <c>Log.Logger</c>: set it (or call <c>AddSerilog</c> on the host's services, which does)
    /// before the actor system starts. <paramref name="logLevel"/> is Akka's own threshold (default: <c>akka.loglevel</c>);
    /// Serilog's minimum level applies after it.
    /// </summary>
    public static AkkaConfigurationBuilder WithAmiSerilog(this AkkaConfigurationBuilder builder, Akka.Event.LogLevel? logLevel = null) =>
        builder.ConfigureLoggers(setup =>
        {
            if (logLevel is { } level)
            {
                setup.LogLevel = level;
            }
            setup.ClearLoggers();
            setup.AddSerilogLogging();
        });

    /// <summary>
    /// Binds <see cref="AmiOptions"/> from the <c>Ami</c> section of <paramref name="configuration"/> (appsettings.json,
    /// environment variables such as <c>Ami__Servers__0__Host</c>), then applies <paramref name="configure"/>; registers
    /// <see cref="IAmiClient"/> and <see cref="AmiMetrics"/>. Pair with <c>WithAmi(sp)</c> inside <c>AddAkka</c>.
    /// </summary>
    public static IServiceCollection AddAmi(this IServiceCollection services, IConfiguration configuration, Action<AmiOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(AmiOptions.SectionName);
        var builder = services.AddOptions<AmiOptions>().Bind(section);
        if (configure is not null)
        {
            builder.Configure(configure);
        }
        builder.Validate(o =>
        {
            o.Validate();
            return true;
        });
        return services.AddAmiClient();
    }

    /// <summary>Registers <see cref="IAmiClient"/> (usable once <c>WithAmi</c> has started the manager) and <see cref="AmiMetrics"/>.</summary>
    public static IServiceCollection AddAmiClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<AmiMetrics>();
        services.TryAddSingleton(sp => new HostedAmiClient(sp.GetService<AmiMetrics>()));
        services.TryAddSingleton<IAmiClient>(sp => sp.GetRequiredService<HostedAmiClient>());
        return services;
    }

    /// <summary>
    /// The one-liner: binds the <c>Ami</c> section, registers <see cref="IAmiClient"/>, metrics and health checks, and
    /// starts an Akka.Hosting actor system named <paramref name="actorSystemName"/> running the AMI manager with Akka's
    /// logs routed to Microsoft.Extensions.Logging at the host's configured minimum level (<see cref="AmiLogLevel"/>).
    /// <paramref name="configureAkka"/> adds your own actors.
    /// </summary>
    public static IServiceCollection AddAmiActors(this IServiceCollection services, IConfiguration configuration, string actorSystemName = "ami",
        Action<AkkaConfigurationBuilder, IServiceProvider>? configureAkka = null, Action<AmiOptions>? configure = null)
    {
        services.AddAmi(configuration, configure);
        services.AddHealthChecks().AddAmiHealthChecks();
        services.AddAkka(actorSystemName, (akka, sp) =>
        {
            akka.WithAmiLogging(sp).WithAmi(sp);
            configureAkka?.Invoke(akka, sp);
        });
        return services;
    }

    /// <summary>
    /// Adds a health check per AMI server, named <c>ami:&lt;id&gt;</c> and tagged <c>ami</c>: the given ids, or, when none
    /// are given, every server of the bound <see cref="AmiOptions"/> (one check named <c>ami</c> covering all servers when
    /// the options list none, as with servers configured in HOCON).
    /// </summary>
    public static IHealthChecksBuilder AddAmiHealthChecks(this IHealthChecksBuilder builder, params string[] serverIds)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(serverIds);
        if (serverIds.Length > 0)
        {
            foreach (var id in serverIds)
            {
                builder.Add(Registration(id));
            }
            return builder;
        }
        builder.Services.AddOptions<HealthCheckServiceOptions>().Configure<IOptions<AmiOptions>>((hc, ami) =>
        {
            var ids = ami.Value.Servers.Select(s => s.EffectiveId).ToList();
            if (ids.Count == 0)
            {
                hc.Registrations.Add(Registration(null));
            }
            foreach (var id in ids)
            {
                hc.Registrations.Add(Registration(id));
            }
        });
        return builder;
    }

    private static HealthCheckRegistration Registration(string? serverId) =>
        new(serverId is null ? "ami" : "ami:" + serverId,
            sp => new AmiHealthCheck(sp.GetRequiredService<IAmiClient>(), serverId),
            HealthStatus.Unhealthy,
            ["ami"]);
}
