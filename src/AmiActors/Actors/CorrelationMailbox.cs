using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace AmiActors.Actors;

/// <summary>
/// The mailbox of a correlation actor (<c>ami.correlation-mailbox</c>): an unbounded queue that starts with room for four
/// messages. A correlation actor lives for one action and mostly receives three messages (the request, the response and
/// the release); Akka's default mailbox, a <see cref="System.Collections.Concurrent.ConcurrentQueue{T}"/>, allocates a
/// 32-slot segment (about 1 KB) for each one.
/// </summary>
internal sealed class CorrelationMailbox : MailboxType, IProducesMessageQueue<CorrelationMailbox.SmallQueue>
{
    /// <summary>The path the mailbox is configured under.</summary>
    public const string Id = "ami.correlation-mailbox";

    /// <summary>Called by Akka with the mailbox's configuration.</summary>
    public CorrelationMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    /// <summary>The configuration that makes <see cref="Id"/> name this mailbox.</summary>
    internal static Config Registration { get; } = ConfigurationFactory.ParseString(
        $"{Id}.mailbox-type = \"{typeof(CorrelationMailbox).FullName}, {typeof(CorrelationMailbox).Assembly.GetName().Name}\"");

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new SmallQueue();

    /// <summary>A ring of envelopes under a lock, doubling when full; empty, it holds four.</summary>
    internal sealed class SmallQueue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private Envelope[] _items = new Envelope[4];
        private int _head;
        private int _count;

        /// <inheritdoc />
        public bool HasMessages => Volatile.Read(ref _count) > 0;

        /// <inheritdoc />
        public int Count => Volatile.Read(ref _count);

        /// <inheritdoc />
        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (this)
            {
                if (_count == _items.Length)
                {
                    var larger = new Envelope[_items.Length * 2];
                    for (int i = 0; i < _count; i++)
                    {
                        larger[i] = _items[(_head + i) % _items.Length];
                    }
                    _items = larger;
                    _head = 0;
                }
                _items[(_head + _count) % _items.Length] = envelope;
                Volatile.Write(ref _count, _count + 1);
            }
        }

        /// <inheritdoc />
        public bool TryDequeue(out Envelope envelope)
        {
            lock (this)
            {
                if (_count == 0)
                {
                    envelope = default;
                    return false;
                }
                envelope = _items[_head];
                _items[_head] = default;
                _head = (_head + 1) % _items.Length;
                Volatile.Write(ref _count, _count - 1);
                return true;
            }
        }

        /// <inheritdoc />
        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope))
            {
                deadletters.Enqueue(owner, envelope);
            }
        }
    }
}
