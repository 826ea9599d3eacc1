using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace AmiActors.Hosting;

/// <summary>Akka's own log level (<c>akka.loglevel</c>) taken from the host's logging configuration.</summary>
public static class AmiLogLevel
{
    /// <summary>The logger categories whose levels decide: Akka's own and this library's.</summary>
    public static IReadOnlyList<string> Categories { get; } = ["Akka", "AmiActors"];

    /// <summary>
    /// The most verbose Akka level that the logger factory lets through for any of <see cref="Categories"/>: Debug when
    /// Debug or Trace is enabled (Serilog's <c>MinimumLevel</c>, or <c>Logging:LogLevel</c> of Microsoft.Extensions.Logging),
    /// then Info, Warning, Error. Akka drops a message below <c>akka.loglevel</c> before any logger sees it, so without this
    /// raising the host's level to Debug would show nothing more.
    /// </summary>
    public static AkkaLogLevel From(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var loggers = Categories.Select(loggerFactory.CreateLogger).ToList();
        bool Enabled(LogLevel level) => loggers.Exists(l => l.IsEnabled(level));
        if (Enabled(LogLevel.Debug) || Enabled(LogLevel.Trace))
        {
            return AkkaLogLevel.DebugLevel;
        }
        if (Enabled(LogLevel.Information))
        {
            return AkkaLogLevel.InfoLevel;
        }
        return Enabled(LogLevel.Warning) ? AkkaLogLevel.WarningLevel : AkkaLogLevel.ErrorLevel;
    }

    /// <summary>
    /// Routes Akka's logs to Microsoft.Extensions.Logging (like <c>WithAmiLogging()</c>) and sets <c>akka.loglevel</c> from the
    /// host's configured minimum level (see <see cref="From"/>). <c>AddAmiActors</c> does this for you.
    /// </summary>
    public static AkkaConfigurationBuilder WithAmiLogging(this AkkaConfigurationBuilder builder, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(services);
        var factory = services.GetService<ILoggerFactory>();
        return builder.ConfigureLoggers(setup =>
        {
            setup.ClearLoggers();
            setup.AddLoggerFactory();
            if (factory is not null)
            {
                setup.LogLevel = From(factory);
            }
        });
    }
}
