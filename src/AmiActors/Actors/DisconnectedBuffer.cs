using Akka.Actor;
using AmiActors.Protocol;

namespace AmiActors.Actors;

/// <summary>
/// Actions accepted while the connection is down (ami.actions.when-disconnected = buffer): held, in order, until the next login
/// or until their own timeout, whichever comes first.
/// </summary>
internal sealed class DisconnectedBuffer(string serverId)
{
    public sealed record Item(AmiAction Action, IActorRef Asker, DateTimeOffset Deadline, TimeSpan Timeout, TimeSpan? OriginateTimeout);

    private readonly List<Item> _items = new();

    public int Count => _items.Count;

    /// <summary>Holds an action; true when it is the only one (the expiry timer is not running yet).</summary>
    public bool Add(Item item)
    {
        _items.Add(item);
        return _items.Count == 1;
    }

    /// <summary>Takes every held action, oldest first.</summary>
    public Item[] TakeAll()
    {
        var items = _items.ToArray();
        _items.Clear();
        return items;
    }

    /// <summary>Fails an action whose time ran out while it was held.</summary>
    public void FailTimedOut(Item item) =>
        item.Asker.Tell(new Status.Failure(new AmiActionTimeoutException(serverId, item.Action.Name, "-", item.Timeout, "the connection (the action was buffered while disconnected)")));

    /// <summary>Fails the actions whose deadline has passed; returns the next deadline among the rest (null when none is left).</summary>
    public DateTimeOffset? Expire(DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        for (int i = _items.Count - 1; i >= 0; i--)
        {
            var item = _items[i];
            if (item.Deadline <= now)
            {
                _items.RemoveAt(i);
                FailTimedOut(item);
            }
            else if (next is null || item.Deadline < next)
            {
                next = item.Deadline;
            }
        }
        return next;
    }

    /// <summary>Fails every held action with its own error; false when there was none.</summary>
    public bool FailAll(Func<Item, Exception> error)
    {
        if (_items.Count == 0)
        {
            return false;
        }
        foreach (var item in _items)
        {
            item.Asker.Tell(new Status.Failure(error(item)));
        }
        _items.Clear();
        return true;
    }
}
