using System.Buffers;
using Akka.Actor;
using Akka.IO;
using AmiActors.Protocol;

namespace AmiActors.Actors;

/// <summary>
/// The bytes a connection sends: one acknowledged <see cref="Tcp.Write"/> on the wire at a time; actions serialized while it is
/// unacknowledged are coalesced into the next one. Used only from the connection actor's thread (it tells with that actor as
/// sender).
/// </summary>
internal sealed class ConnectionOutbound
{
    private readonly OutboundBuffer _buffer = new();
    private bool _writing;

    /// <summary>Where writes go and reads come from (Akka.IO's TcpConnection, or the TLS transport); null while not connected.</summary>
    public IActorRef? Writer { get; private set; }

    public void Attach(IActorRef writer) => Writer = writer;

    /// <summary>Forgets the writer and every byte not yet written (the connection is gone or about to be replaced).</summary>
    public void Reset()
    {
        Writer = null;
        _buffer.Clear();
        _writing = false;
    }

    /// <summary>Serializes one action and writes it as soon as no write is unacknowledged.</summary>
    /// <exception cref="AmiActionValidationException">The action cannot be written (CR/LF in a value, say); nothing was queued.</exception>
    public void Write(AmiAction action, string actionId)
    {
        AmiWriter.Write(action, actionId, _buffer);
        Flush();
    }

    /// <summary>
    /// Like <see cref="Write"/>, but refuses the action (returns false, queues nothing) when it would take the unwritten bytes
    /// past <paramref name="maxBytes"/>; an action alone in the queue is always taken.
    /// </summary>
    /// <exception cref="AmiActionValidationException">The action cannot be written; nothing was queued.</exception>
    public bool TryWrite(AmiAction action, string actionId, int maxBytes)
    {
        int before = _buffer.Count;
        AmiWriter.Write(action, actionId, _buffer);
        if (_buffer.Count > maxBytes && before > 0)
        {
            _buffer.Truncate(before);
            return false;
        }
        Flush();
        return true;
    }

    /// <summary>The writer took the last write: send what accumulated meanwhile.</summary>
    public void OnAck()
    {
        _writing = false;
        Flush();
    }

    private void Flush()
    {
        if (_writing || _buffer.Count == 0 || Writer is null)
        {
            return;
        }
        Writer.Tell(Tcp.Write.Create(_buffer.TakeByteString(), AmiTransport.WriteAck.Instance));
        _writing = true;
    }

    /// <summary>The outbound bytes: actions serialized while a write is unacknowledged are sent together in the next write.</summary>
    private sealed class OutboundBuffer : IBufferWriter<byte>
    {
        private byte[] _buffer = new byte[4096];

        public int Count { get; private set; }

        public void Advance(int count) => Count += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsMemory(Count);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsSpan(Count);
        }

        public void Truncate(int count) => Count = count;

        public void Clear()
        {
            Count = 0;
            if (_buffer.Length > 256 * 1024)
            {
                _buffer = new byte[4096];
            }
        }

        public ByteString TakeByteString()
        {
            var bytes = ByteString.CopyFrom(_buffer, 0, Count);
            Count = 0;
            return bytes;
        }

        private void Ensure(int sizeHint)
        {
            int need = Count + Math.Max(sizeHint, 1);
            if (need > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(need, _buffer.Length * 2));
            }
        }
    }
}
