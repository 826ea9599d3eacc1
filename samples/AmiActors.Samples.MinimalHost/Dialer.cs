using Akka.Actor;
using Akka.Hosting;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors;
using AmiActors.Actions;
using AmiActors.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AmiActors.Samples.MinimalHost;

/// <summary>
/// Runs once at start-up: Ping, a CLI command, typed async Originates (watching the hangups they lead to), a typed
/// CoreShowChannels list, then hangs up what it originated and asks the <see cref="CallTracker"/> actor what it saw.
/// </summary>
public sealed class Dialer(
    IAmiClient ami,
    ActorSystem system,
    IRequiredActor<CallTracker> callTracker,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILogger<Dialer> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dialer = configuration.GetSection("Dialer");
        string server = dialer["Server"] ?? "pbx1";
        int calls = dialer.GetValue("Calls", 3);

        var pong = await ami.SendAsync(server, new PingAction(), cancellationToken: stoppingToken);
        log.LogInformation("Ping: {Reply}", pong.Response.Get("Ping"));

        var version = await ami.SendAsync(server, new CommandAction("core show version"), cancellationToken: stoppingToken);
        log.LogInformation("Command: {Output}", string.Join(" / ", version.CommandOutput));

        var originates = await Task.WhenAll(Enumerable.Range(1, calls).Select(i => OriginateAsync(server, dialer, i, stoppingToken)));
        var channels = originates.Where(o => o?.Response == OriginateResponseResponse.Success).Select(o => o!.Channel!).ToList();

        var list = await ami.SendListAsync(server, new CoreShowChannelsAction(), cancellationToken: stoppingToken);
        foreach (var c in list.Items)
        {
            log.LogInformation("CoreShowChannel: {Channel} {State} {Context},{Exten},{Priority}", c.Channel, c.ChannelStateDesc, c.Context, c.Exten, c.Priority);
        }

        var hangups = channels.Count == 0 ? [] : await HangUpAsync(server, channels, stoppingToken);
        log.LogInformation("Hung up {Count} calls: {Causes}", hangups.Count, string.Join(", ", hangups.Select(h => h.CauseTxt)));

        var stats = await callTracker.ActorRef.Ask<CallStats>(GetCallStats.Instance, TimeSpan.FromSeconds(5), stoppingToken);
        log.LogInformation("CallTracker saw {Created} new channels, {HungUp} hangups, {Active} active", stats.Created, stats.HungUp, stats.Active);
        log.LogInformation("Dialer done: {Answered} of {Calls} calls answered", channels.Count, calls);

        if (dialer.GetValue("StopWhenDone", false))
        {
            lifetime.StopApplication();
        }
    }

    private async Task<IReadOnlyList<HangupEvent>> HangUpAsync(string server, List<string> channels, CancellationToken ct)
    {
        // Watch for the hangups of our calls, and hang them up only once the stream is live: it will see every one.
        var (live, hungUp) = ami.Events<HangupEvent>(server)
            .Where(h => channels.Contains(h.Channel!))
            .Take(channels.Count)
            .ToMaterialized(Sink.Seq<HangupEvent>(), Keep.Both)
            .Run(system.Materializer());
        await live;
        foreach (var channel in channels)
        {
            await ami.SendAsync(server, new HangupAction(channel), cancellationToken: ct);
        }
        return await hungUp.WaitAsync(TimeSpan.FromSeconds(30), ct);
    }

    private async Task<OriginateResponseEvent?> OriginateAsync(string server, IConfiguration dialer, int call, CancellationToken ct)
    {
        var originate = new OriginateAction(dialer["Channel"] ?? "Local/100@default")
        {
            Context = dialer["Context"],
            Exten = dialer["Exten"],
            Priority = 1,                                // PriorityRaw = "label" for a dialplan label
            Timeout = TimeSpan.FromSeconds(30),          // ring this long
            Async = true,                                // the reply waits for the OriginateResponse event
            Variables = new Dictionary<string, string> { ["CALL"] = call.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        AmiActionResult result;
        try
        {
            result = await ami.SendAsync(server, originate, cancellationToken: ct);
        }
        catch (AmiErrorResponseException e)
        {
            result = e.Result;   // the call failed: busy, no answer, congestion...
        }
        log.LogInformation("Originate {Call}: {Result}", call, result);
        return result.OriginateResponseEvent;   // null when the server refused the action outright
    }
}
