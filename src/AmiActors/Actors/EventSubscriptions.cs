using Akka.Actor;

namespace AmiActors.Actors;

/// <summary>
/// The event router's topic subscriptions (actor subscribers and <c>Events()</c> streams alike). The manager creates one and
/// hands it to every incarnation of its router through the router's Props, so a router restart keeps every subscription.
/// Only the router reads or changes it, one message at a time.
/// </summary>
internal sealed class EventSubscriptions
{
    internal sealed record Filter(string? ServerId, HashSet<string>? Names)
    {
        public bool Matches(string serverId, string? name) =>
            (ServerId is null || string.Equals(ServerId, serverId, StringComparison.Ordinal)) &&
            (Names is null || (name is not null && Names.Contains(name)));
    }

    internal sealed class Subscriber(IActorRef actor, AmiStreamGauge? gauge)
    {
        public IActorRef Actor { get; } = actor;

        // Set for an event stream: it takes one AmiEventBatch per read, bounded by the gauge rather than by its mailbox.
        public AmiStreamGauge? Gauge { get; } = gauge;

        // The stream's share of the batch being routed.
        public OneOrManyBuilder<AmiEventReceived> Batch;
        // Read per batch, never cached: a top-level actor's ref first points at a placeholder cell that locks on every call.
        public ICell? Cell => Actor is ActorRefWithCell withCell ? withCell.Underlying : null;

        // Room left in the subscriber's mailbox for the batch being routed; -1: not read yet for this batch.
        public long Room { get; set; } = -1;
        public List<Filter> Filters { get; } = new();

        public bool Matches(string serverId, string? name)
        {
            var filters = Filters;
            for (int i = 0; i < filters.Count; i++)
            {
                if (filters[i].Matches(serverId, name))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private readonly Dictionary<IActorRef, Subscriber> _byActor = new();

    /// <summary>Every subscriber, as an array the router iterates per event.</summary>
    public Subscriber[] All { get; private set; } = Array.Empty<Subscriber>();

    /// <summary>Whether some filter names events (so the router must read each event's name).</summary>
    public bool AnyNeedsName { get; private set; }

    /// <summary>How many actors are subscribed.</summary>
    public int Count => _byActor.Count;

    /// <summary>Adds a subscription; true when <paramref name="actor"/> was not subscribed before (the router watches it).</summary>
    public bool Add(IActorRef actor, string? serverId, IReadOnlyList<string>? eventNames, AmiStreamGauge? gauge = null)
    {
        var names = ToSet(eventNames);
        bool added = false;
        if (!_byActor.TryGetValue(actor, out var sub))
        {
            sub = new Subscriber(actor, gauge);
            _byActor.Add(actor, sub);
            added = true;
        }
        var existing = sub.Filters.Find(f => string.Equals(f.ServerId, serverId, StringComparison.Ordinal));
        if (existing is not null && (existing.Names is null || names is null))
        {
            sub.Filters.Remove(existing);
            sub.Filters.Add(new Filter(serverId, null));
        }
        else if (existing is not null)
        {
            existing.Names!.UnionWith(names!);
        }
        else
        {
            sub.Filters.Add(new Filter(serverId, names));
        }
        Rebuild();
        return added;
    }

    /// <summary>
    /// Removes the subscription of <paramref name="actor"/> made with the same server scope (null names: all of that scope);
    /// true when the actor has no subscription left (the router unwatches it).
    /// </summary>
    public bool Remove(IActorRef actor, string? serverId, IReadOnlyList<string>? eventNames)
    {
        if (!_byActor.TryGetValue(actor, out var sub))
        {
            return false;
        }
        var names = ToSet(eventNames);
        foreach (var f in sub.Filters.Where(f => string.Equals(f.ServerId, serverId, StringComparison.Ordinal)).ToList())
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
        bool gone = sub.Filters.Count == 0;
        if (gone)
        {
            _byActor.Remove(actor);
        }
        Rebuild();
        return gone;
    }

    /// <summary>Forgets every subscription of a terminated actor.</summary>
    public void RemoveAll(IActorRef actor)
    {
        if (_byActor.Remove(actor))
        {
            Rebuild();
        }
    }

    private void Rebuild()
    {
        All = _byActor.Values.ToArray();
        AnyNeedsName = All.Any(s => s.Filters.Exists(f => f.Names is not null));
    }

    private static HashSet<string>? ToSet(IReadOnlyList<string>? names) =>
        names is null || names.Count == 0 ? null : new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
}
