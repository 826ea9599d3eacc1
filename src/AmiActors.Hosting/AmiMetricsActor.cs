using Akka.Actor;

namespace AmiActors.Hosting;

/// <summary>
/// Feeds <see cref="AmiMetrics"/> from the EventStream (events, connection states) and polls the manager's
/// <see cref="AmiManager.GetServers"/> for the drop counters.
/// </summary>
internal sealed class AmiMetricsActor : ReceiveActor, IWithTimers
{
    private const string PollTimer = "poll";
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    public AmiMetricsActor(IActorRef manager, AmiMetrics metrics)
    {
        Receive<AmiEventReceived>(e => metrics.EventReceived(e.ServerId));
        Receive<ConnectionStateChanged>(metrics.StateChanged);
        Receive<Poll>(_ => manager.Tell(AmiManager.GetServers.Instance));
        Receive<AmiManager.GetServersResult>(r => metrics.UpdateServers(r.Servers));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef manager, AmiMetrics metrics) =>
        Akka.Actor.Props.Create(() => new AmiMetricsActor(manager, metrics));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(AmiEventReceived));
        Context.System.EventStream.Subscribe(Self, typeof(ConnectionStateChanged));
        Timers.StartPeriodicTimer(PollTimer, Poll.Instance, TimeSpan.Zero, PollInterval);
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private sealed class Poll
    {
        public static readonly Poll Instance = new();
    }
}
