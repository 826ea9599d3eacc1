using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using static AmiActors.Cluster.AmiClusterProtocol;

namespace AmiActors.Cluster;

/// <summary>
/// A node's receiving end of the cluster's events: subscribed to the events topic from start-up (so a local subscriber
/// added later does not wait for pub-sub gossip), it delivers each event once to every matching local subscriber and
/// to the EventStream, in the order the hosting entity published them.
/// </summary>
internal sealed class AmiClusterEventHubActor : ReceiveActor
{
    private sealed record Filter(string? ServerId, HashSet<string>? Names)
    {
        public bool Matches(string serverId, string? name) =>
            (ServerId is null || string.Equals(ServerId, serverId, StringComparison.Ordinal)) &&
            (Names is null || (name is not null && Names.Contains(name)));

        public bool SameScope(string? serverId, IReadOnlyList<string>? names) =>
            string.Equals(ServerId, serverId, StringComparison.Ordinal) &&
            (names is null || names.Count == 0 || (Names is not null && Names.SetEquals(names)));
    }

    private readonly Dictionary<IActorRef, List<Filter>> _subscribers = new();
    private KeyValuePair<IActorRef, List<Filter>>[] _snapshot = [];

    public AmiClusterEventHubActor(AmiClusterContext context, bool publishToEventStream)
    {
        var eventStream = Context.System.EventStream;
        Receive<EventBatch>(batch =>
        {
            foreach (var e in batch.Events)
            {
                Deliver(e);
            }
        });
        Receive<AmiEventReceived>(Deliver);
        void Deliver(AmiEventReceived e)
        {
            string? name = null;
            foreach (var (actor, filters) in _snapshot)
            {
                foreach (var f in filters)
                {
                    if (f.Names is not null)
                    {
                        name ??= e.EventName;
                    }
                    if (f.Matches(e.ServerId, name))
                    {
                        actor.Tell(e, ActorRefs.NoSender);
                        break;
                    }
                }
            }
            if (publishToEventStream)
            {
                eventStream.Publish(e);
            }
        }
        Receive<AmiManager.Subscribe>(s =>
        {
            if (!_subscribers.TryGetValue(s.Subscriber, out var filters))
            {
                filters = [];
                _subscribers.Add(s.Subscriber, filters);
                Context.Watch(s.Subscriber);
            }
            var names = s.EventNames is { Count: > 0 } ? new HashSet<string>(s.EventNames, StringComparer.OrdinalIgnoreCase) : null;
            filters.Add(new Filter(s.ServerId, names));
            _snapshot = _subscribers.ToArray();
            Sender.Tell(new AmiManager.Subscribed(s.Subscriber));
        });
        Receive<AmiManager.Unsubscribe>(u =>
        {
            if (_subscribers.TryGetValue(u.Subscriber, out var filters))
            {
                filters.RemoveAll(f => f.SameScope(u.ServerId, u.EventNames));
                if (filters.Count == 0)
                {
                    _subscribers.Remove(u.Subscriber);
                    Context.Unwatch(u.Subscriber);
                }
                _snapshot = _subscribers.ToArray();
            }
            Sender.Tell(new AmiManager.Unsubscribed(u.Subscriber));
        });
        Receive<Terminated>(t =>
        {
            if (_subscribers.Remove(t.ActorRef))
            {
                _snapshot = _subscribers.ToArray();
            }
        });
        Receive<SubscribeAck>(_ => { });
        
        context.Mediator.Tell(new Subscribe(context.Settings.EventsTopic, Self));
    }

    public static Props Props(AmiClusterContext context, bool publishToEventStream) =>
        Akka.Actor.Props.Create(() => new AmiClusterEventHubActor(context, publishToEventStream));
}
