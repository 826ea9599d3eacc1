using System.Globalization;
using Akka.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace AmiActors.Cli;

/// <summary>
/// Serilog for commands that build their actor system themselves (<c>ami demo</c>): Akka.Logger.Serilog's <c>SerilogLogger</c> as
/// the system's logger, writing through Serilog's global logger to one of the command's writers, templates and properties kept.
/// </summary>
internal static class CliLogging
{
    /// <summary>HOCON making <c>SerilogLogger</c> (with its message formatter) the only logger, at <paramref name="level"/>.</summary>
    public static Config AkkaSerilog(LogEventLevel level) => ConfigurationFactory.ParseString($$"""
        akka.loglevel = {{AkkaLevel(level)}}
        akka.loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
        akka.logger-formatter = "Akka.Logger.Serilog.SerilogLogMessageFormatter, Akka.Logger.Serilog"
        """);

    /// <summary>Points Serilog's global logger at <paramref name="output"/> until disposed (then restores the previous one).</summary>
    public static IDisposable WriteTo(TextWriter output, LogEventLevel level)
    {
        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .WriteTo.Sink(new ListenCommand.TextWriterSink(output, new MessageTemplateTextFormatter(ListenCommand.LogTemplate, CultureInfo.InvariantCulture)))
            .CreateLogger();
        var previous = Log.Logger;
        Log.Logger = logger;
        return new Restore(logger, previous);
    }

    private static string AkkaLevel(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => "DEBUG",
        LogEventLevel.Information => "INFO",
        LogEventLevel.Warning => "WARNING",
        _ => "ERROR",
    };

    private sealed class Restore(Serilog.Core.Logger logger, ILogger previous) : IDisposable
    {
        public void Dispose()
        {
            if (ReferenceEquals(Log.Logger, logger))
            {
                Log.Logger = previous;
            }
            logger.Dispose();
        }
    }
}
