using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AmiActors;
using AmiActors.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AmiActors.Samples.MinimalHost;

/// <summary>
/// Logs every hangup of every server from a typed event stream. The stream never ends by itself: a kill switch
/// tied to the stopping token ends it when the host stops, so stopping never waits for it.
/// </summary>
public sealed class HangupLog(IAmiClient ami, ActorSystem system, ILogger<HangupLog> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var (killSwitch, done) = ami.Events<HangupEvent>()
            .ViaMaterialized(KillSwitches.Single<HangupEvent>(), Keep.Right)
            .ToMaterialized(Sink.ForEach<HangupEvent>(h =>
                log.LogInformation("HangupLog: {Channel} on {Server}, cause {Cause}", h.Channel, h.ServerId, h.CauseTxt)), Keep.Both)
            .Run(system.Materializer());
        await using var stop = stoppingToken.Register(killSwitch.Shutdown);
        await done;   // completes when the kill switch shuts the stream down
    }
}
