using Akka.Actor;
using Akka.Event;
using AmiActors;
using AmiActors.Events;

namespace AmiActors.Samples.MinimalHost;

/// <summary>Asks a <see cref="CallTracker"/> for its counts; answered with <see cref="CallStats"/>.</summary>
public sealed record GetCallStats
{
    /// <summary>The singleton.</summary>
    public static GetCallStats Instance { get; } = new();
}

/// <summary>What a <see cref="CallTracker"/> has seen.</summary>
public sealed record CallStats(int Created, int HungUp, int Active);

/// <summary>
/// Keeps the calls of every server: subscribed by message to the typed Newchannel and Hangup events.
/// It gets <see cref="IAmiClient"/> from the container (<c>resolver.Props&lt;CallTracker&gt;()</c>).
/// </summary>
public sealed class CallTracker : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IAmiClient _ami;
    private readonly Dictionary<string, string> _active = new(StringComparer.Ordinal);
    private int _created;
    private int _hungUp;

    public CallTracker(IAmiClient ami)
    {
        _ami = ami;
        Receive<AmiManager.Subscribed>(_ => _log.Info("CallTracker: subscription live"));
        Receive<NewchannelEvent>(e =>
        {
            _created++;
            _active[e.Uniqueid ?? e.Channel ?? ""] = e.Channel ?? "";
        });
        Receive<HangupEvent>(e =>
        {
            _hungUp++;
            _active.Remove(e.Uniqueid ?? e.Channel ?? "");
            _log.Info("CallTracker: {0} hung up on {1}, cause {2} ({3})", e.Channel, e.ServerId, e.Cause, e.CauseTxt);
        });
        Receive<GetCallStats>(_ => Sender.Tell(new CallStats(_created, _hungUp, _active.Count)));
    }

    protected override void PreStart() =>
        _ami.Manager.Tell(AmiManager.Subscribe.To(Self, null, typeof(NewchannelEvent), typeof(HangupEvent)));
}
