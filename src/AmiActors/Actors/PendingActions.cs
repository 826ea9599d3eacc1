using Akka.Actor;
using AmiActors.Protocol;

namespace AmiActors.Actors;

/// <summary>
/// The actions on the wire, by ActionID, and the one shared deadline the connection actor's timeout timer is set for (the
/// earliest among the actions still waiting for their first response).
/// </summary>
internal sealed class PendingActions
{
    // An action on the wire. A single-response reply is completed by the connection actor; a list or an async Originate gets a
    // correlation actor when its first response arrives (events that came before it wait in Early). Until then the deadline is
    // checked here.
    public sealed class Pending(string actionId, IActorRef asker, string actionName, TimeSpan timeout, DateTimeOffset deadline, TimeSpan? originateTimeout)
    {
        public string ActionId { get; } = actionId;
        public IActorRef Asker { get; } = asker;
        public string ActionName { get; } = actionName;
        public TimeSpan Timeout { get; } = timeout;
        public DateTimeOffset Deadline { get; } = deadline;
        public TimeSpan? OriginateTimeout { get; } = originateTimeout;
        public IActorRef? Correlation { get; set; }
        public List<AmiMessage>? Early { get; set; }
    }

    private readonly Dictionary<string, Pending> _byId = new(StringComparer.Ordinal);
    private DateTimeOffset? _checkAt;

    public int Count => _byId.Count;

    public IEnumerable<Pending> All => _byId.Values;

    public bool TryGetValue(string actionId, out Pending pending) => _byId.TryGetValue(actionId, out pending!);

    public void Add(Pending pending) => _byId.Add(pending.ActionId, pending);

    public void Remove(string actionId) => _byId.Remove(actionId);

    /// <summary>Forgets every action and the timeout check.</summary>
    public void Clear()
    {
        _byId.Clear();
        _checkAt = null;
    }

    /// <summary>True when the timeout check must be moved to <paramref name="deadline"/> (no check is set, or it is later).</summary>
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
    /// The timeout check fired: the actions still waiting for their first response whose deadline has passed (null when none),
    /// and the earliest deadline among the others. They stay in the table until removed.
    /// </summary>
    public List<Pending>? Expired(DateTimeOffset now, out DateTimeOffset? next)
    {
        _checkAt = null;
        next = null;
        List<Pending>? expired = null;
        foreach (var p in _byId.Values)
        {
            if (p.Correlation is not null)
            {
                continue;
            }
            if (p.Deadline <= now)
            {
                (expired ??= new List<Pending>()).Add(p);
            }
            else if (next is null || p.Deadline < next)
            {
                next = p.Deadline;
            }
        }
        return expired;
    }
}
