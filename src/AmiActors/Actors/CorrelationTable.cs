using Akka.Actor;

namespace AmiActors.Actors;

/// <summary>
/// The connection actor's ActionID -> correlation actor map, and the one deadline list behind its single action timer: entries in
/// deadline order (actions mostly share a timeout, so a new one goes at the tail), each removed in O(1) when its actor is
/// done. When the timer fires, the actors whose deadline has passed are told <see cref="AmiCorrelationActor.DeadlinePassed"/>;
/// the actor decides what that means for its stage. Used only from the connection actor's thread.
/// </summary>
internal sealed class CorrelationTable
{
    private sealed class Entry(string actionId, IActorRef actor, DateTimeOffset deadline)
    {
        public readonly string ActionId = actionId;
        public readonly IActorRef Actor = actor;
        public DateTimeOffset Deadline = deadline;
        public Entry? Previous;
        public Entry? Next;
        public bool Linked;
    }

    private readonly Dictionary<string, Entry> _byId = new(StringComparer.Ordinal);
    private Entry? _head;
    private Entry? _tail;
    private DateTimeOffset? _checkAt;

    // Actors told ConnectionLost and forgotten whose Done has not arrived yet: each sends exactly one.
    private int _released;

    /// <summary>Actions in flight on the current connection.</summary>
    public int Count => _byId.Count;

    /// <summary>Correlation actors still alive: in flight, plus those released whose <see cref="AmiCorrelationActor.Done"/> is on its way.</summary>
    public int Outstanding => _byId.Count + _released;

    public void Add(string actionId, IActorRef actor, DateTimeOffset deadline)
    {
        var entry = new Entry(actionId, actor, deadline);
        _byId.Add(actionId, entry);
        Link(entry);
    }

    public bool TryGetValue(string actionId, out IActorRef actor)
    {
        if (_byId.TryGetValue(actionId, out var entry))
        {
            actor = entry.Actor;
            return true;
        }
        actor = null!;
        return false;
    }

    /// <summary>The action's reply is complete (or failed); its actor has stopped.</summary>
    public void Remove(string actionId)
    {
        if (_byId.Remove(actionId, out var entry))
        {
            Unlink(entry);
        }
        else if (_released > 0)
        {
            _released--;
        }
    }

    /// <summary>Moves an action's deadline (an async Originate now waits for OriginateResponse); false when it is not in flight.</summary>
    public bool Extend(string actionId, DateTimeOffset deadline)
    {
        if (!_byId.TryGetValue(actionId, out var entry))
        {
            return false;
        }
        Unlink(entry);
        entry.Deadline = deadline;
        Link(entry);
        return true;
    }

    /// <summary>Tells every actor in flight <paramref name="message"/> and forgets them (their Done is still counted in <see cref="Outstanding"/>).</summary>
    public void ReleaseAll(object message)
    {
        foreach (var entry in _byId.Values)
        {
            entry.Actor.Tell(message);
        }
        _released += _byId.Count;
        _byId.Clear();
        _head = _tail = null;
        _checkAt = null;
    }

    /// <summary>The earliest deadline still in the list, if any.</summary>
    public DateTimeOffset? NextDeadline => _head?.Deadline;

    /// <summary>True when the timer must be moved to <paramref name="deadline"/> (none is set, or it is set later).</summary>
    public bool MoveCheckTo(DateTimeOffset deadline)
    {
        if (_checkAt is { } at && at <= deadline)
        {
            return false;
        }
        _checkAt = deadline;
        return true;
    }

    /// <summary>
    /// The timer fired: tells each actor whose deadline has passed, and takes it off the list (it stays in the map until its Done).
    /// </summary>
    public void Expire(DateTimeOffset now)
    {
        _checkAt = null;
        while (_head is { } entry && entry.Deadline <= now)
        {
            Unlink(entry);
            entry.Actor.Tell(new AmiCorrelationActor.DeadlinePassed(entry.Deadline));
        }
    }

    private void Link(Entry entry)
    {
        // Walk back from the tail: with one timeout for all actions the new deadline is the latest and this takes no step.
        var after = _tail;
        while (after is not null && after.Deadline > entry.Deadline)
        {
            after = after.Previous;
        }
        entry.Previous = after;
        entry.Next = after is null ? _head : after.Next;
        if (entry.Next is null)
        {
            _tail = entry;
        }
        else
        {
            entry.Next.Previous = entry;
        }
        if (after is null)
        {
            _head = entry;
        }
        else
        {
            after.Next = entry;
        }
        entry.Linked = true;
    }

    private void Unlink(Entry entry)
    {
        if (!entry.Linked)
        {
            return;
        }
        if (entry.Previous is null)
        {
            _head = entry.Next;
        }
        else
        {
            entry.Previous.Next = entry.Next;
        }
        if (entry.Next is null)
        {
            _tail = entry.Previous;
        }
        else
        {
            entry.Next.Previous = entry.Previous;
        }
        entry.Previous = entry.Next = null;
        entry.Linked = false;
    }
}
