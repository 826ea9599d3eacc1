using Akka.Actor;
using AmiActors.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace AmiActors.Hosting.Tests;

/// <summary>akka.loglevel follows the host's configured minimum level, so raising the host's level shows Akka's debug logs.</summary>
[Collection(SerilogGlobalCollection.Name)]
public class LogLevelTests
{
    private static async Task<string> AkkaLogLevelOf(Action<HostApplicationBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(new NullProvider());
        configure(builder);
        builder.Services.AddAmiActors(builder.Configuration, "log-level-test");
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            return host.Services.GetRequiredService<ActorSystem>().Settings.LogLevel;
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Theory]
    [InlineData(LogLevel.Trace, "DEBUG")]
    [InlineData(LogLevel.Debug, "DEBUG")]
    [InlineData(LogLevel.Information, "INFO")]
    [InlineData(LogLevel.Warning, "WARNING")]
    [InlineData(LogLevel.Error, "ERROR")]
    public async Task The_Microsoft_Extensions_Logging_minimum_level_sets_akka_loglevel(LogLevel minimum, string expected)
    {
        string level = await AkkaLogLevelOf(b => b.Logging.SetMinimumLevel(minimum));
        Assert.Equal(expected, level, ignoreCase: true);
    }

    [Theory]
    [InlineData(LogEventLevel.Verbose, "DEBUG")]
    [InlineData(LogEventLevel.Debug, "DEBUG")]
    [InlineData(LogEventLevel.Information, "INFO")]
    [InlineData(LogEventLevel.Warning, "WARNING")]
    public async Task The_Serilog_minimum_level_sets_akka_loglevel(LogEventLevel minimum, string expected)
    {
        string level = await AkkaLogLevelOf(b => b.Services.AddSerilog(log => log.MinimumLevel.Is(minimum)));
        Assert.Equal(expected, level, ignoreCase: true);
    }

    [Fact]
    public async Task A_category_level_for_Akka_or_AmiActors_is_honoured()
    {
        string akka = await AkkaLogLevelOf(b =>
        {
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Akka"] = "Debug" });
            b.Logging.AddConfiguration(b.Configuration.GetSection("Logging"));
        });
        Assert.Equal("DEBUG", akka, ignoreCase: true);

        string ours = await AkkaLogLevelOf(b => b.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("AmiActors", LogLevel.Information));
        Assert.Equal("INFO", ours, ignoreCase: true);
    }

    [Fact]
    public void The_level_is_read_from_any_logger_factory()
    {
        using var debug = LoggerFactory.Create(b => b.AddProvider(new NullProvider()).SetMinimumLevel(LogLevel.Debug));
        using var warning = LoggerFactory.Create(b => b.AddProvider(new NullProvider()).SetMinimumLevel(LogLevel.Warning));
        using var none = LoggerFactory.Create(b => b.AddProvider(new NullProvider()).SetMinimumLevel(LogLevel.None));
        using var noProvider = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug));
        Assert.Equal(AkkaLogLevel.DebugLevel, AmiLogLevel.From(debug));
        Assert.Equal(AkkaLogLevel.WarningLevel, AmiLogLevel.From(warning));
        Assert.Equal(AkkaLogLevel.ErrorLevel, AmiLogLevel.From(none));
        Assert.Equal(AkkaLogLevel.ErrorLevel, AmiLogLevel.From(noProvider));
    }

    /// <summary>A provider whose loggers are enabled at every level: what passes is decided by the factory's filter rules.</summary>
    private sealed class NullProvider : ILoggerProvider
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new NullLogger();

        public void Dispose()
        {
        }

        private sealed class NullLogger : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
            }
        }
    }
}
