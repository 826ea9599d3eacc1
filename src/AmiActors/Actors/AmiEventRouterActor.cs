using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using AmiActors.Protocol;

namespace AmiActors.Actors;

/// <summary>Per-server counters of events dropped because a subscriber or stream was too slow (one per actor system).</summary>
internal sealed class AmiEventDrops : IExtension
{
    private readonly ConcurrentDictionary<string, StrongBox> _counters = new(StringComparer.Ordinal);

    public static AmiEventDrops Get(ActorSystem system) => system.WithExtension<AmiEventDrops, Provider>();

    public void Add(string serverId, long count = 1) => Interlocked.Add(ref _counters.GetOrAdd(serverId, static _ => new StrongBox()).Value, count);

    public long Read(string serverId) => _counters.TryGetValue(serverId, out var box) ? Interlocked.Read(ref box.Value) : 0;

    private sealed class StrongBox
    {
        public long Value;
    }

    private sealed class Provider : ExtensionIdProvider<AmiEventDrops>
    {
        public override AmiEventDrops CreateExtension(ExtendedActorSystem system) => new();
    }
}

/// <summary>
/// What an event stream has been sent but not yet taken from its mailbox, shared by the stream stage and the router: the router
/// stops sending (drops and counts) once <see cref="Limit"/> events wait, so a stream's mailbox never grows with a flood.
/// </summary>
internal sealed class AmiStreamGauge(int limit)
{
    private long _inFlight;
    private long _dropped;

    public int Limit { get; } = limit;

    public long InFlight => Volatile.Read(ref _inFlight);

    public void Sent(int count) => Interlocked.Add(ref _inFlight, count);

    public void Taken(int count) => Interlocked.Add(ref _inFlight, -count);

    public void Dropped(long count) => Interlocked.Add(ref _dropped, count);

    /// <summary>The drops since the last call.</summary>
    public long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);
}

/// <summary>Events of one read for one event stream, in order (one message per read instead of one per event).</summary>
internal sealed record AmiEventBatch(OneOrMany<AmiEventReceived> Events) : INoSerializationVerificationNeeded
{
    public override string ToString() => $"AmiEventBatch({Events.Count} events)";
}

/// <summary>
/// Wraps events as <see cref="AmiEventReceived"/>, publishes them to the EventStream (if configured) and delivers them to topic
/// subscribers. Delivery is bounded per subscriber: when a local subscriber's mailbox already holds
/// <c>subscriber-buffer-size</c> messages, the event is dropped for that subscriber and counted; the connection never waits.
/// The subscriptions live in an <see cref="EventSubscriptions"/> owned by the manager, so a restart keeps them all.
/// </summary>
internal sealed class AmiEventRouterActor : UntypedActor
{
    /// <summary>Events received from one server in one read, in order.</summary>
    public sealed class RouteEvents(string serverId, OneOrMany<AmiMessage> events, RouterBacklog? backlog = null)
    {
        public RouteEvents(string serverId, AmiMessage single) : this(serverId, new OneOrMany<AmiMessage>(single)) { }

        public RouteEvents(string serverId, IReadOnlyList<AmiMessage> events) : this(serverId, new OneOrMany<AmiMessage>(events)) { }

        public string ServerId { get; } = serverId;

        public OneOrMany<AmiMessage> Events { get; } = events;

        public RouterBacklog? Backlog { get; } = backlog;

        public override string ToString() => $"RouteEvents({ServerId}, {Events.Count} events)";
    }

    /// <summary>Sent to a connection actor that stopped reading once the router's backlog of its events is below the limit again.</summary>
    public sealed class Routed
    {
        public static readonly Routed Instance = new();
        private Routed() { }
    }

    /// <summary>
    /// The events one connection actor has handed to the router and the router has not routed yet, shared by both: the
    /// connection reads no further while <see cref="Limit"/> or more wait, and the router wakes it (<see cref="Routed"/>) when
    /// it gets below again. No message at all while the router keeps up.
    /// </summary>
    public sealed class RouterBacklog(int limit)
    {
        private long _pending;
        private int _waiting;

        public int Limit { get; } = limit;

        public long Pending => Volatile.Read(ref _pending);

        public void Added(int count) => Interlocked.Add(ref _pending, count);

        /// <summary>The router routed <paramref name="count"/> events; true when the connection waits and should be woken.</summary>
        public bool Routed(int count) => Interlocked.Add(ref _pending, -count) < Limit && Interlocked.Exchange(ref _waiting, 0) == 1;

        /// <summary>True when the connection may read on; otherwise it is marked waiting (and will get <see cref="AmiEventRouterActor.Routed"/>).</summary>
        public bool HasRoom()
        {
            if (Pending < Limit)
            {
                return true;
            }
            Volatile.Write(ref _waiting, 1);
            // The router may have caught up between the two reads: then nobody would wake us.
            if (Pending < Limit && Interlocked.Exchange(ref _waiting, 0) == 1)
            {
                return true;
            }
            return false;
        }
    }

    private readonly AmiSettings _settings;
    private readonly EventSubscriptions _subscriptions;
    private readonly AmiEventDrops _drops;
    private readonly EventStream _eventStream;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public AmiEventRouterActor(AmiSettings settings, EventSubscriptions subscriptions)
    {
        _settings = settings;
        _subscriptions = subscriptions;
        _drops = AmiEventDrops.Get(Context.System);
        _eventStream = Context.System.EventStream;
    }

    public static Props Props(AmiSettings settings, EventSubscriptions subscriptions) =>
        Akka.Actor.Props.Create(() => new AmiEventRouterActor(settings, subscriptions)).WithDispatcher(settings.Dispatcher);

    // After a restart: watch the kept subscribers again (watching twice is harmless; a subscriber that died meanwhile is
    // reported by Terminated and removed).
    protected override void PreStart()
    {
        foreach (var s in _subscriptions.All)
        {
            Context.Watch(s.Actor);
        }
    }

    // The batch that crashed the router is not retried (it could crash it again): its events are counted as dropped.
    protected override void PreRestart(Exception reason, object message)
    {
        if (message is RouteEvents batch)
        {
            _drops.Add(batch.ServerId, batch.Events.Count);
            _log.Error(reason, "AMI event router failed while routing {EventCount} events of server {ServerId}; restarting with {SubscriberCount} subscribers kept, the batch counted as dropped",
                batch.Events.Count, batch.ServerId, _subscriptions.Count);
        }
        else
        {
            _log.Error(reason, "AMI event router failed while handling {MessageType}; restarting with {SubscriberCount} subscribers kept",
                message?.GetType().Name ?? "nothing", _subscriptions.Count);
        }
        base.PreRestart(reason, message);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case RouteEvents batch:
                try
                {
                    Route(batch);
                }
                finally
                {
                    // The connection actor reads no further than a bounded number of events ahead of the router.
                    if (batch.Backlog is { } backlog && backlog.Routed(batch.Events.Count))
                    {
                        Sender.Tell(Routed.Instance);
                    }
                }
                break;
            case AmiManager.Subscribe s:
                if (_subscriptions.Add(s.Subscriber, s.ServerId, s.EventNames, s.Gauge))
                {
                    Context.Watch(s.Subscriber);
                }
                Sender.Tell(new AmiManager.Subscribed(s.Subscriber));
                break;
            case AmiManager.Unsubscribe u:
                if (_subscriptions.Remove(u.Subscriber, u.ServerId, u.EventNames))
                {
                    Context.Unwatch(u.Subscriber);
                }
                // A stream unsubscribes as it stops, with no sender: no reply, so no dead letter is logged.
                if (!Sender.IsNobody())
                {
                    Sender.Tell(new AmiManager.Unsubscribed(u.Subscriber));
                }
                break;
            case Terminated t:
                _subscriptions.RemoveAll(t.ActorRef);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // Event names seen so far, so that matching a name filter allocates nothing per event (names are few; capped all the same).
    private const int MaxInternedNames = 1024;
    private readonly Dictionary<string, string> _names = new(StringComparer.OrdinalIgnoreCase);

    private string? EventName(AmiMessage e)
    {
        int i = e.IndexOf("Event");
        if (i < 0)
        {
            return null;
        }
        var bytes = e.ValueBytes(i);
        if (bytes.Length > 128 || !System.Text.Ascii.IsValid(bytes))
        {
            return e.ValueAt(i);
        }
        Span<char> chars = stackalloc char[bytes.Length];
        System.Text.Ascii.ToUtf16(bytes, chars, out _);
        if (_names.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars, out var name))
        {
            return name;
        }
        name = e.ValueAt(i);
        if (_names.Count < MaxInternedNames)
        {
            _names[name] = name;
        }
        return name;
    }

    private void Route(RouteEvents batch)
    {
        var subscribers = _subscriptions.All;
        bool anyNeedsName = _subscriptions.AnyNeedsName;
        bool publish = _settings.PublishToEventStream;
        int limit = _settings.SubscriberBufferSize;
        long dropped = 0;
        string serverId = batch.ServerId;
        var events = batch.Events;
        int count = events.Count;
        foreach (var s in subscribers)
        {
            s.Room = -1;
            s.Batch = default;
        }
        for (int i = 0; i < count; i++)
        {
            var e = events[i];
            var wrapped = AmiEventReceived.Create(serverId, e);
            if (publish)
            {
                _eventStream.Publish(wrapped);
            }
            if (subscribers.Length == 0)
            {
                continue;
            }
            string? name = anyNeedsName ? EventName(e) : null;
            foreach (var s in subscribers)
            {
                if (!s.Matches(serverId, name))
                {
                    continue;
                }
                // The room is measured once per batch (counting a mailbox is not free), then charged for what the batch adds.
                if (s.Room < 0)
                {
                    s.Room = s.Gauge is { } gauge ? Math.Max(0, gauge.Limit - gauge.InFlight)
                        : s.Cell is { } cell ? Math.Max(0, limit - cell.NumberOfMessages) : long.MaxValue;
                }
                if (s.Room == 0)
                {
                    dropped++;
                    s.Gauge?.Dropped(1);
                    continue;
                }
                s.Room--;
                if (s.Gauge is not null)
                {
                    s.Batch.Add(wrapped, count - i + 1);
                }
                else
                {
                    s.Actor.Tell(wrapped, ActorRefs.NoSender);
                }
            }
        }
        foreach (var s in subscribers)
        {
            if (!s.Batch.IsEmpty)
            {
                var streamBatch = new AmiEventBatch(s.Batch.Take());
                s.Gauge!.Sent(streamBatch.Events.Count);
                s.Actor.Tell(streamBatch, ActorRefs.NoSender);
            }
        }
        if (dropped > 0)
        {
            _drops.Add(serverId, dropped);
        }
    }
}
