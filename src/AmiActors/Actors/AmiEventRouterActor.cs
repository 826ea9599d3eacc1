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
internal sealed record AmiEventBatch(List<AmiEventReceived> Events)
{
    public override string ToString() => $"AmiEventBatch({Events.Count} events)";
}

/// <summary>
/// Wraps events as <see cref="AmiEventReceived"/>, publishes them to the EventStream (if configured) and delivers them to topic
/// subscribers. Delivery is bounded per subscriber: when a local subscriber's mailbox already holds
/// <c>subscriber-buffer-size</c> messages, the event is dropped for that subscriber and counted; the connection never waits.
/// </summary>
internal sealed class AmiEventRouterActor : UntypedActor
{
    /// <summary>Events received from one server in one read, in order.</summary>
    public sealed record RouteEvents(string ServerId, IReadOnlyList<AmiMessage> Events, bool WantsAck = false)
    {
        public override string ToString() => $"RouteEvents({ServerId}, {Events.Count} events)";
    }

    /// <summary>The ack of a <see cref="RouteEvents"/> that asked for one.</summary>
    public sealed record Routed(int Count);

    private sealed record Filter(string? ServerId, HashSet<string>? Names)
    {
        public bool Matches(string serverId, string? name) =>
            (ServerId is null || string.Equals(ServerId, serverId, StringComparison.Ordinal)) &&
            (Names is null || (name is not null && Names.Contains(name)));
    }

    private sealed class Subscriber(IActorRef actor, AmiStreamGauge? gauge)
    {
        public IActorRef Actor { get; } = actor;

        // Set for an event stream: it takes one AmiEventBatch per read, bounded by the gauge rather than by its mailbox.
        public AmiStreamGauge? Gauge { get; } = gauge;
        public List<AmiEventReceived>? Batch { get; set; }
        // Read per batch, never cached: a top-level actor's ref first points at a placeholder cell that locks on every call.
        public ICell? Cell => Actor is ActorRefWithCell withCell ? withCell.Underlying : null;

        // Room left in the subscriber's mailbox for the batch being routed; -1: not read yet for this batch.
        public long Room { get; set; } = -1;
        public List<Filter> Filters { get; } = new();
    }

    private readonly AmiSettings _settings;
    private readonly AmiEventDrops _drops;
    private readonly EventStream _eventStream;
    private readonly Dictionary<IActorRef, Subscriber> _byActor = new();
    private Subscriber[] _subscribers = Array.Empty<Subscriber>();
    private bool _anyNeedsName;

    public AmiEventRouterActor(AmiSettings settings)
    {
        _settings = settings;
        _drops = AmiEventDrops.Get(Context.System);
        _eventStream = Context.System.EventStream;
    }

    public static Props Props(AmiSettings settings) => Akka.Actor.Props.Create(() => new AmiEventRouterActor(settings));

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
                    // The connection actor reads no further than a bounded number of events ahead of this ack.
                    if (batch.WantsAck)
                    {
                        Sender.Tell(new Routed(batch.Events.Count));
                    }
                }
                break;
            case AmiManager.Subscribe s:
                Subscribe(s);
                Sender.Tell(new AmiManager.Subscribed(s.Subscriber));
                break;
            case AmiManager.Unsubscribe u:
                Unsubscribe(u);
                Sender.Tell(new AmiManager.Unsubscribed(u.Subscriber));
                break;
            case Terminated t:
                if (_byActor.Remove(t.ActorRef))
                {
                    Rebuild();
                }
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Route(RouteEvents batch)
    {
        var subscribers = _subscribers;
        bool publish = _settings.PublishToEventStream;
        int limit = _settings.SubscriberBufferSize;
        long dropped = 0;
        string serverId = batch.ServerId;
        var events = batch.Events;
        foreach (var s in subscribers)
        {
            s.Room = -1;
        }
        for (int i = 0; i < events.Count; i++)
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
            string? name = _anyNeedsName ? e.EventName : null;
            foreach (var s in subscribers)
            {
                if (!Matches(s, serverId, name))
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
                    (s.Batch ??= new List<AmiEventReceived>(events.Count - i)).Add(wrapped);
                }
                else
                {
                    s.Actor.Tell(wrapped, ActorRefs.NoSender);
                }
            }
        }
        foreach (var s in subscribers)
        {
            if (s.Batch is { } streamBatch)
            {
                s.Gauge!.Sent(streamBatch.Count);
                s.Actor.Tell(new AmiEventBatch(streamBatch), ActorRefs.NoSender);
                s.Batch = null;
            }
        }
        if (dropped > 0)
        {
            _drops.Add(serverId, dropped);
        }
    }

    private static bool Matches(Subscriber s, string serverId, string? name)
    {
        var filters = s.Filters;
        for (int i = 0; i < filters.Count; i++)
        {
            if (filters[i].Matches(serverId, name))
            {
                return true;
            }
        }
        return false;
    }

    private void Subscribe(AmiManager.Subscribe s)
    {
        var names = ToSet(s.EventNames);
        if (!_byActor.TryGetValue(s.Subscriber, out var sub))
        {
            sub = new Subscriber(s.Subscriber, s.Gauge);
            _byActor.Add(s.Subscriber, sub);
            Context.Watch(s.Subscriber);
        }
        var existing = sub.Filters.Find(f => string.Equals(f.ServerId, s.ServerId, StringComparison.Ordinal));
        if (existing is not null && (existing.Names is null || names is null))
        {
            sub.Filters.Remove(existing);
            sub.Filters.Add(new Filter(s.ServerId, null));
        }
        else if (existing is not null)
        {
            existing.Names!.UnionWith(names!);
        }
        else
        {
            sub.Filters.Add(new Filter(s.ServerId, names));
        }
        Rebuild();
    }

    private void Unsubscribe(AmiManager.Unsubscribe u)
    {
        if (!_byActor.TryGetValue(u.Subscriber, out var sub))
        {
            return;
        }
        var names = ToSet(u.EventNames);
        foreach (var f in sub.Filters.Where(f => string.Equals(f.ServerId, u.ServerId, StringComparison.Ordinal)).ToList())
        {
            if (names is null)
            {
                sub.Filters.Remove(f);
            }
            else if (f.Names is not null)
            {
                f.Names.ExceptWith(names);
                if (f.Names.Count == 0)
                {
                    sub.Filters.Remove(f);
                }
            }
        }
        if (sub.Filters.Count == 0)
        {
            _byActor.Remove(u.Subscriber);
            Context.Unwatch(u.Subscriber);
        }
        Rebuild();
    }

    private void Rebuild()
    {
        _subscribers = _byActor.Values.ToArray();
        _anyNeedsName = _subscribers.Any(s => s.Filters.Exists(f => f.Names is not null));
    }

    private static HashSet<string>? ToSet(IReadOnlyList<string>? names) =>
        names is null || names.Count == 0 ? null : new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
}
