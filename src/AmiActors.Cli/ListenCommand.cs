using Akka.Actor;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using Akka.Hosting;
using AmiActors.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;
using System.Globalization;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace AmiActors.Cli;

/// <summary>
/// <c>ami listen</c>: the worker. A Generic Host running Akka.Hosting with the AMI manager for the configured servers
/// (or only those named by <c>--server</c>), every event logged through Serilog, stopped gracefully on SIGTERM/SIGINT.
/// </summary>
internal static class ListenCommand
{
    private const string LogTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public static async Task<int> RunAsync(CliConsole console, string? configFile, IReadOnlyList<string> onlyServers, CancellationToken ct)
    {
        var settings = new HostApplicationBuilderSettings { Args = [], ContentRootPath = Directory.GetCurrentDirectory() };
        var builder = Host.CreateApplicationBuilder(settings);
        Config? hocon = null;
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw CliException.Usage($"the configuration file '{configFile}' does not exist.");
            }
            if (configFile.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
            }
            else
            {
                hocon = LoadHocon(configFile);
            }
        }

        var options = new AmiOptions();
        builder.Configuration.GetSection(AmiOptions.SectionName).Bind(options);
        var configured = ServerIds(options, hocon);
        if (configured.Count == 0)
        {
            throw CliException.Usage("no AMI server is configured: give --config FILE (HOCON with ami.servers, or JSON with an Ami:Servers list) or set Ami__Servers__0__Host and friends.");
        }
        var unknown = onlyServers.Where(id => !configured.Contains(id)).ToList();
        if (unknown.Count > 0)
        {
            throw CliException.Usage($"unknown server id(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}; configured: {string.Join(", ", configured)}.");
        }
        if (onlyServers.Count > 0)
        {
            options.Servers.RemoveAll(s => !onlyServers.Contains(s.EffectiveId));
            if (hocon is not null)
            {
                KeepServers(hocon, onlyServers);
            }
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw CliException.Usage(e.Message);
        }
        // The manager starts with no server: the event log subscribes first, then adds them, so the events that arrive with a
        // login response are logged too.
        IReadOnlyList<AmiServerDefinition> servers;
        try
        {
            servers = AmiSettings.Create((hocon ?? Config.Empty).WithFallback(ConfigurationFactory.ParseString(options.ToHocon()))).Servers;
        }
        catch (AmiConfigurationException e)
        {
            throw CliException.Usage(e.Message);
        }
        options.Servers.Clear();
        if (hocon is not null)
        {
            KeepServers(hocon, []);
        }

        builder.Services.AddSerilog((_, log) =>
        {
            log.MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
                .Enrich.FromLogContext();
            if (ReferenceEquals(console.Stdout, Console.Out))
            {
                log.WriteTo.Console(outputTemplate: LogTemplate, formatProvider: CultureInfo.InvariantCulture);
            }
            else
            {
                log.WriteTo.Sink(new TextWriterSink(console.Stdout, new MessageTemplateTextFormatter(LogTemplate, CultureInfo.InvariantCulture)));
            }
        }, writeToProviders: false);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddSingleton<IOptions<AmiOptions>>(Options.Create(options));
        builder.Services.AddAmiClient();
        builder.Services.AddHealthChecks().AddAmiHealthChecks();
        builder.Services.AddAkka("ami", (akka, sp) =>
        {
            akka.WithAmiLogging().WithAmi(options);
            // An idle worker should cost next to nothing: the scheduler's default 10 ms tick is most of its idle CPU, and AMI
            // timeouts are seconds (a configuration file may set another value).
            akka.AddHocon("akka.scheduler.tick-duration = 100ms", HoconAddMode.Append);
            if (hocon is not null)
            {
                akka.AddHocon(hocon, HoconAddMode.Prepend);
            }
        });
        // Registered after Akka so that it stops first, while the stream can still complete.
        builder.Services.AddHostedService(sp => new EventLogService(sp.GetRequiredService<IAmiClient>(), sp.GetRequiredService<ActorSystem>(), servers, sp.GetRequiredService<ILogger<EventLogService>>()));
        using var host = builder.Build();
        await host.RunAsync(ct).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static Config LoadHocon(string file)
    {
        try
        {
            return ConfigurationFactory.ParseString(File.ReadAllText(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"cannot read '{file}': {e.Message}");
        }
        catch (Exception e)
        {
            throw CliException.Usage($"'{file}' is not valid HOCON: {e.Message}");
        }
    }

    private static HashSet<string> ServerIds(AmiOptions options, Config? hocon)
    {
        var ids = new HashSet<string>(options.Servers.Select(s => s.EffectiveId), StringComparer.Ordinal);
        if (HoconServers(hocon) is { } servers)
        {
            ids.UnionWith(servers.Items.Keys);
        }
        return ids;
    }

    private static HoconObject? HoconServers(Config? hocon) =>
        hocon is not null && hocon.HasPath("ami.servers") ? hocon.GetValue("ami.servers").GetObject() : null;

    /// <summary>Removes every server but <paramref name="keep"/> from the parsed file (its tree is ours: freshly parsed).</summary>
    private static void KeepServers(Config hocon, IReadOnlyList<string> keep)
    {
        var servers = HoconServers(hocon)!;
        foreach (var id in servers.Items.Keys.Where(id => !keep.Contains(id)).ToList())
        {
            servers.Items.Remove(id);
        }
    }

    /// <summary>Logs every event, structured: server, event name, and the common channel fields. Subscribes, then adds the servers.</summary>
    private sealed class EventLogService(IAmiClient client, ActorSystem system, IReadOnlyList<AmiServerDefinition> servers, ILogger<EventLogService> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var materializer = Akka.Streams.ActorMaterializer.Create(system);
            var ((subscribed, killSwitch), done) = client.SubscribedEvents(bufferSize: 65_536)
                .ViaMaterialized(Akka.Streams.KillSwitches.Single<AmiEventReceived>(), Akka.Streams.Dsl.Keep.Both)
                .ToMaterialized(Akka.Streams.Dsl.Sink.ForEach<AmiEventReceived>(Log), Akka.Streams.Dsl.Keep.Both)
                .Run(materializer);
            await using (stoppingToken.Register(killSwitch.Shutdown))
            {
                await subscribed.WaitAsync(stoppingToken).ConfigureAwait(false);
                foreach (var server in servers)
                {
                    await client.AddServerAsync(server, stoppingToken).ConfigureAwait(false);
                }
                // The stream also ends when the actor system is terminated under it; never outlive the stop request.
                await Task.WhenAny(done, Task.Delay(Timeout.Infinite, stoppingToken)).ConfigureAwait(false);
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
    private sealed class TextWriterSink(TextWriter output, ITextFormatter formatter) : ILogEventSink
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
