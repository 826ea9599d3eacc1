using System.Collections.Concurrent;
using Akka.Hosting;
using AmiActors.Hosting;
using AmiActors.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace AmiActors.Hosting.Tests;

/// <summary>
/// WithAmiSerilog: Akka's logger is Akka.Logger.Serilog's, and the events that reach Serilog keep their templates and
/// properties. Serilog's global logger is set for the test (no other test in this assembly logs through Serilog).
/// </summary>
[Collection(SerilogGlobalCollection.Name)]
public class SerilogTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const string StateTemplate = "AMI server {ServerId}: {PreviousState} -> {State}";
    private const string StateWithReasonTemplate = "AMI server {ServerId}: {PreviousState} -> {State}: {Reason}";
    private FakeAsteriskServer _server = null!;
    private ILogger _previous = null!;
    private readonly CapturingSink _sink = new();

    public async Task InitializeAsync()
    {
        _server = await FakeAsteriskServer.StartAsync();
        _previous = Log.Logger;
        Log.Logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(_sink).CreateLogger();
    }

    public async Task DisposeAsync()
    {
        Log.Logger = _previous;
        await _server.DisposeAsync();
    }

    private static string? Scalar(LogEvent e, string name) =>
        e.Properties.TryGetValue(name, out var value) && value is ScalarValue scalar ? scalar.Value?.ToString() : null;

    private async Task<LogEvent> WaitForAsync(Func<LogEvent, bool> match)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var found = _sink.Events.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException("no such Serilog event; captured:\n" + string.Join("\n", _sink.Events.Select(e => e.MessageTemplate.Text)));
    }

    [Fact]
    public async Task Connection_state_changes_reach_Serilog_as_templates_with_server_state_and_reason_properties()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAmiClient();
        builder.Services.AddAkka("serilog-test", akka => akka.WithAmiSerilog().WithAmi("serilog-pbx", "127.0.0.1", _server.Port, "admin", "amp111"));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var connected = await WaitForAsync(e => e.MessageTemplate.Text == StateTemplate && Scalar(e, "State") == "Connected");
            Assert.Equal(LogEventLevel.Information, connected.Level);
            Assert.Equal("serilog-pbx", Scalar(connected, "ServerId"));
            Assert.Equal("Authenticating", Scalar(connected, "PreviousState"));
            Assert.Equal("akka://serilog-test/user/ami", Scalar(connected, "ActorPath"));
            // Rendered by Serilog from the template, as a console sink with {Message:lj} does.
            var rendered = new StringWriter();
            new MessageTemplateTextFormatter("{Message:lj}").Format(connected, rendered);
            Assert.Equal("AMI server serilog-pbx: Authenticating -> Connected", rendered.ToString());

            await _server.Faults.DropAllSessionsAsync();
            var lost = await WaitForAsync(e => e.MessageTemplate.Text == StateWithReasonTemplate && Scalar(e, "State") == "Reconnecting");
            Assert.Equal(LogEventLevel.Warning, lost.Level);
            Assert.Equal("serilog-pbx", Scalar(lost, "ServerId"));
            Assert.Equal("Connected", Scalar(lost, "PreviousState"));
            // Closed or reset, depending on how the kernel delivers the drop; the delay is part of the reason either way.
            Assert.Matches("^(the server closed the connection|connection error: .+); reconnecting in [0-9]+ ms$", Scalar(lost, "Reason"));
            Assert.DoesNotContain("amp111", string.Join("\n", _sink.Events.Select(e => e.RenderMessage())));

            // Akka's own log events come the same way (here: a dead letter, logged by Akka's DeadLetterListener).
            var system = host.Services.GetRequiredService<Akka.Actor.ActorSystem>();
            system.ActorSelection("/user/nobody-here").Tell("undeliverable");
            var deadLetter = await WaitForAsync(e => e.RenderMessage().Contains("nobody-here", StringComparison.Ordinal));
            Assert.Equal(LogEventLevel.Information, deadLetter.Level);
            Assert.NotNull(Scalar(deadLetter, "LogSource"));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private sealed class CapturingSink : ILogEventSink
    {
        private readonly ConcurrentQueue<LogEvent> _events = new();

        public IReadOnlyList<LogEvent> Events => _events.ToArray();

        public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);
    }
}
