using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Stage;
using AmiActors.Actors;
using AmiActors.Protocol;

namespace AmiActors;

/// <summary>
/// The task-based facade over the manager actor. Create the manager with <see cref="Start"/> or wrap an existing one with <see cref="For"/>.
/// </summary>
public sealed class AmiClient : IAmiClient
{
    // Safety margin on Ask: the correlation actor enforces the real timeout and answers with AmiActionTimeoutException first.
    private static readonly TimeSpan AdminTimeout = TimeSpan.FromSeconds(30);

    private readonly ActorSystem _system;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AmiServerRoute> _routes = new(StringComparer.Ordinal);

    /// <summary>How many servers this client keeps a route to (for tests).</summary>
    internal int RouteCount => _routes.Count;

    private AmiClient(IActorRef manager, ActorSystem system, AmiSettings settings)
    {
        Manager = manager;
        _system = system;
        Settings = settings;
    }

    /// <inheritdoc />
    public IActorRef Manager { get; }

    /// <summary>The settings in effect (used for default timeouts and buffer sizes).</summary>
    public AmiSettings Settings { get; }

    /// <summary>
    /// Creates the manager actor (top-level, named <c>ami</c>, so <c>/user/ami</c>) with <paramref name="settings"/> (default: read
    /// from the system's configuration with the embedded reference.conf as fallback) and returns a client for it. It connects to
    /// every server of <see cref="AmiSettings.Servers"/>; a CoordinatedShutdown task drains and logs off on shutdown.
    /// </summary>
    public static AmiClient Start(ActorSystem system, AmiSettings? settings = null, string name = AmiManager.ActorName)
    {
        ArgumentNullException.ThrowIfNull(system);
        settings ??= AmiSettings.FromSystem(system);
        var manager = system.ActorOf(CreateManagerProps(settings), name);
        return new AmiClient(manager, system, settings);
    }

    /// <summary>The Props of the manager actor, for hosting code that creates it itself (name it <see cref="AmiManager.ActorName"/>).</summary>
    public static Props CreateManagerProps(AmiSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return AmiManagerActor.Props(settings);
    }

    /// <summary>A client for an existing manager actor. <paramref name="settings"/> defaults to the system's configuration.</summary>
    public static AmiClient For(IActorRef manager, ActorSystem system, AmiSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(system);
        return new AmiClient(manager, system, settings ?? AmiSettings.FromSystem(system));
    }

    /// <inheritdoc />
    public Task<AmiActionResult> SendAsync(string serverId, IAmiAction action, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendCoreAsync(serverId, action, timeout, cancellationToken, throwIfError: true);

    /// <inheritdoc />
    public Task<AmiActionResult> SendRawAsync(string serverId, IAmiAction action, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendCoreAsync(serverId, action, timeout, cancellationToken, throwIfError: false);

    // One async method for both, so an action costs one state machine and one continuation.
    private async Task<AmiActionResult> SendCoreAsync(string serverId, IAmiAction action, TimeSpan? timeout, CancellationToken cancellationToken, bool throwIfError)
    {
        var (generic, wait) = AmiSendRules.Prepare(serverId, action, timeout, Settings);
        var send = new AmiManager.SendAction(serverId, generic, timeout);
        var route = _routes.GetOrAdd(serverId, static (id, manager) => new AmiServerRoute(id, manager, AdminTimeout), Manager);
        object reply;
        try
        {
            reply = await route.AskAsync(send, wait, cancellationToken).ConfigureAwait(false);
        }
        catch (UnknownServerException) when (!route.IsDirect)
        {
            // No route is kept for a server id the manager does not know, so made-up ids cannot grow the table.
            _routes.TryRemove(KeyValuePair.Create(serverId, route));
            throw;
        }
        var result = Unwrap<AmiActionResult>(reply);
        return throwIfError ? AmiSendRules.ThrowIfError(result, action) : result;
    }

    /// <inheritdoc />
    public async Task SubscribeAsync(IActorRef subscriber, string? serverId = null, params string[] eventNames)
    {
        Unwrap<AmiManager.Subscribed>(await Manager.Ask(new AmiManager.Subscribe(subscriber, serverId, eventNames), AdminTimeout).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task UnsubscribeAsync(IActorRef subscriber, string? serverId = null, params string[] eventNames)
    {
        Unwrap<AmiManager.Unsubscribed>(await Manager.Ask(new AmiManager.Unsubscribe(subscriber, serverId, eventNames), AdminTimeout).ConfigureAwait(false));
    }

    /// <summary>Subscribes an actor to <see cref="ConnectionStateChanged"/> of one server (null: all).</summary>
    public async Task SubscribeConnectionStateAsync(IActorRef subscriber, string? serverId = null)
    {
        Unwrap<AmiManager.Subscribed>(await Manager.Ask(new AmiManager.SubscribeConnectionState(subscriber, serverId), AdminTimeout).ConfigureAwait(false));
    }

    /// <inheritdoc />
    /// <remarks>A <paramref name="bufferSize"/> of 0 (the default) uses <c>ami.events.stream-buffer-size</c>.</remarks>
    public Source<AmiEventReceived, Task> Events(string? serverId = null, IReadOnlyList<string>? eventNames = null, int bufferSize = 0, OverflowStrategy overflowStrategy = OverflowStrategy.DropHead)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bufferSize);
        if (bufferSize == 0)
        {
            bufferSize = Settings.StreamBufferSize;
        }
        if (overflowStrategy == OverflowStrategy.Backpressure)
        {
            throw new ArgumentException("Backpressure cannot apply to AMI events: the socket is never stalled. Choose a drop strategy or Fail.", nameof(overflowStrategy));
        }
        return Source.FromGraph(new AmiEventSource(Manager, AmiEventDrops.Get(_system), serverId, eventNames, bufferSize, overflowStrategy));
    }

    /// <inheritdoc />
    public async Task AddServerAsync(AmiServerDefinition server, CancellationToken cancellationToken = default)
    {
        Unwrap<AmiManager.ServerAdded>(await Manager.Ask(new AmiManager.AddServer(server), AdminTimeout, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task RemoveServerAsync(string serverId, CancellationToken cancellationToken = default)
    {
        var wait = Settings.DrainTimeout + Settings.LogoffTimeout + AdminTimeout;
        Unwrap<AmiManager.ServerRemoved>(await Manager.Ask(new AmiManager.RemoveServer(serverId), wait, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AmiServerStatus>> GetServersAsync(CancellationToken cancellationToken = default)
    {
        return Unwrap<AmiManager.GetServersResult>(await Manager.Ask(AmiManager.GetServers.Instance, AdminTimeout, cancellationToken).ConfigureAwait(false)).Servers;
    }

    private static T Unwrap<T>(object reply) => reply switch
    {
        T value => value,
        Status.Failure failure => throw failure.Cause,
        _ => throw new AmiException($"Unexpected reply {reply.GetType().Name} from the AMI manager."),
    };
}

/// <summary>
/// A source of events: subscribes its stage actor to the router when materialized, buffers up to <c>bufferSize</c> events with the
/// given overflow strategy (drops counted per server) and unsubscribes when the stream ends. Its materialized value completes
/// when the router has confirmed the subscription (every event routed from then on reaches the stream), and is cancelled when
/// the stream stops first.
/// </summary>
internal sealed class AmiEventSource(IActorRef manager, AmiEventDrops drops, string? serverId, IReadOnlyList<string>? eventNames, int bufferSize, OverflowStrategy overflow)
    : GraphStageWithMaterializedValue<SourceShape<AmiEventReceived>, Task>
{
    private readonly IActorRef _managerRef = manager;
    private readonly AmiEventDrops _drops = drops;
    private readonly string? _serverId = serverId;
    private readonly IReadOnlyList<string>? _eventNames = eventNames;
    private readonly int _bufferSize = bufferSize;
    private readonly OverflowStrategy _overflow = overflow;

    private readonly Outlet<AmiEventReceived> _out = new("ami.events");

    public override SourceShape<AmiEventReceived> Shape => new(_out);

    public override ILogicAndMaterializedValue<Task> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var live = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task>(new Logic(this, live), live.Task);
    }

    /// <summary>The smallest number of events the router may send a stream ahead of what it has taken.</summary>
    internal const int MinInFlight = 1024;

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly AmiEventSource _stage;
        private readonly TaskCompletionSource _live;
        private readonly AmiStreamGauge _gauge;
        private readonly EventRing _buffer;
        private IActorRef? _self;

        public Logic(AmiEventSource stage, TaskCompletionSource live) : base(stage.Shape)
        {
            _stage = stage;
            _live = live;
            // Events sent to this stream but not yet taken from its mailbox: no more than its buffer, and at least MinInFlight so that
            // a burst that arrives before the stream's next turn reaches the buffer and its overflow strategy (drop the oldest by
            // default) instead of being cut at the router. Beyond that the router drops the newest and counts them, so a stuck
            // stream holds at most its buffer plus max(buffer, MinInFlight) events whatever the flood.
            _gauge = new AmiStreamGauge(Math.Max(stage._bufferSize, MinInFlight));
            _buffer = new EventRing(Math.Min(stage._bufferSize, 1024));
            SetHandler(stage._out, this);
        }

        public override void PreStart()
        {
            _self = GetStageActor(OnMessage).Ref;
            _stage._managerRef.Tell(new AmiManager.Subscribe(_self, _stage._serverId, _stage._eventNames) { Gauge = _gauge }, _self);
        }

        public override void PostStop()
        {
            // Cancelled rather than failed: nobody has to observe it.
            _live.TrySetCanceled();
            if (_self is not null)
            {
                _stage._managerRef.Tell(new AmiManager.Unsubscribe(_self, _stage._serverId, null), ActorRefs.NoSender);
            }
        }

        public override void OnPull()
        {
            if (_buffer.Count > 0)
            {
                Push(_stage._out, _buffer.Dequeue());
            }
        }

        private void OnMessage((IActorRef Sender, object Message) args)
        {
            switch (args.Message)
            {
                case AmiEventBatch batch:
                    _gauge.Taken(batch.Events.Count);
                    if (_stage._overflow == OverflowStrategy.Fail && _gauge.TakeDropped() > 0)
                    {
                        FailStage(new BufferOverflowException($"AMI event stream buffer of {_stage._bufferSize} events overflowed."));
                        return;
                    }
                    var events = batch.Events;
                    for (int i = 0; i < events.Count; i++)
                    {
                        Offer(events[i]);
                    }
                    break;
                case AmiEventReceived single:
                    Offer(single);
                    break;
                case AmiManager.Subscribed:
                    _live.TrySetResult();
                    break;
            }
        }

        private void Offer(AmiEventReceived e)
        {
            if (IsAvailable(_stage._out) && _buffer.Count == 0)
            {
                Push(_stage._out, e);
                return;
            }
            if (_buffer.Count < _stage._bufferSize)
            {
                _buffer.Enqueue(e);
                return;
            }
            switch (_stage._overflow)
            {
                case OverflowStrategy.DropHead:
                    _buffer.Dequeue();
                    _buffer.Enqueue(e);
                    _stage._drops.Add(e.ServerId);
                    break;
                case OverflowStrategy.DropTail:
                    // Drop the youngest buffered event and keep the new one.
                    _buffer.RemoveLast();
                    _buffer.Enqueue(e);
                    _stage._drops.Add(e.ServerId);
                    break;
                case OverflowStrategy.DropBuffer:
                    _stage._drops.Add(e.ServerId, _buffer.Count);
                    _buffer.Clear();
                    _buffer.Enqueue(e);
                    break;
                case OverflowStrategy.Fail:
                    _stage._drops.Add(e.ServerId);
                    FailStage(new BufferOverflowException($"AMI event stream buffer of {_stage._bufferSize} events overflowed."));
                    break;
                default:
                    _stage._drops.Add(e.ServerId);
                    break;
            }
        }
    }

    /// <summary>A growable ring of events: O(1) at both ends (dropping the youngest included); shrinks back when drained.</summary>
    private sealed class EventRing(int initialCapacity)
    {
        private readonly int _initialCapacity = Math.Max(4, initialCapacity);
        private AmiEventReceived?[] _items = new AmiEventReceived?[Math.Max(4, initialCapacity)];
        private int _head;

        public int Count { get; private set; }

        public void Enqueue(AmiEventReceived e)
        {
            if (Count == _items.Length)
            {
                var grown = new AmiEventReceived?[_items.Length * 2];
                for (int i = 0; i < Count; i++)
                {
                    grown[i] = _items[(_head + i) % _items.Length];
                }
                _items = grown;
                _head = 0;
            }
            _items[(_head + Count) % _items.Length] = e;
            Count++;
        }

        public AmiEventReceived Dequeue()
        {
            var e = _items[_head]!;
            _items[_head] = null;
            _head = (_head + 1) % _items.Length;
            Count--;
            if (Count == 0 && _items.Length > _initialCapacity * 16)
            {
                // A burst is over: give its memory back.
                _items = new AmiEventReceived?[_initialCapacity];
                _head = 0;
            }
            return e;
        }

        public void RemoveLast()
        {
            int last = (_head + Count - 1) % _items.Length;
            _items[last] = null;
            Count--;
        }

        public void Clear()
        {
            Array.Clear(_items);
            _head = 0;
            Count = 0;
        }
    }
}

/// <summary>What every <see cref="IAmiClient"/> does around sending an action, on one node or on a cluster.</summary>
internal static class AmiSendRules
{
    // The Ask waits a little longer than the action's own timeout, so the specific timeout failure wins the race.
    private static readonly TimeSpan AskGrace = TimeSpan.FromSeconds(5);

    /// <summary>Validates the action (nothing is sent when it is unsafe; the caller gets the precise reason) and says how long to ask.</summary>
    public static (AmiAction Action, TimeSpan Wait) Prepare(string serverId, IAmiAction action, TimeSpan? timeout, AmiSettings settings)
    {
        ArgumentNullException.ThrowIfNull(serverId);
        ArgumentNullException.ThrowIfNull(action);
        var generic = action.ToAmiAction();
        AmiWriter.Validate(generic, "0.0");
        var wait = (timeout ?? settings.DefaultActionTimeout) + AskGrace;
        if (timeout is null && string.Equals(generic.Name, "Originate", StringComparison.OrdinalIgnoreCase))
        {
            wait += settings.OriginateTimeout;
        }
        return (generic, wait);
    }

    /// <summary><see cref="IAmiClient.SendAsync"/>'s rule: an Error response or a failed Originate is an exception.</summary>
    public static AmiActionResult ThrowIfError(AmiActionResult result, IAmiAction action) =>
        !result.IsSuccess && (result.Response.IsError || result.OriginateResponse is not null)
            ? throw new AmiErrorResponseException(result, action.ActionName)
            : result;
}
