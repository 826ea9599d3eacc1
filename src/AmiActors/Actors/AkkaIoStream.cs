using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.IO;

namespace AmiActors.Actors;

/// <summary>
/// The stream <see cref="System.Net.Security.SslStream"/> runs over in the TLS transport: its reads are fed by the
/// <see cref="Tcp.Received"/> messages the transport gets from Akka.IO's TcpConnection, and its writes become acknowledged
/// <see cref="Tcp.Write"/>s to that connection (one on the wire at a time, the ack going to the transport, which passes it on
/// with <see cref="OnWriteAcked"/>). No socket of its own: the TCP connection stays Akka.IO's.
/// </summary>
internal sealed class AkkaIoStream : Stream
{
    /// <summary>The ack of one of this stream's writes; the transport hands it back through <see cref="OnWriteAcked"/>.</summary>
    public sealed class WriteAck : Tcp.Event
    {
        public static readonly WriteAck Instance = new();
        private WriteAck() { }
    }

    private readonly IActorRef _connection;
    private readonly IActorRef _owner;
    private readonly object _gate = new();
    private readonly Queue<ByteString> _received = new();
    private readonly Queue<(ByteString Data, TaskCompletionSource Done)> _writes = new();
    private int _receivedOffset;
    private TaskCompletionSource? _readWaiter;
    private bool _writing;
    private bool _ended;
    private string? _endReason;

    /// <param name="connection">Akka.IO's TcpConnection.</param>
    /// <param name="owner">The actor registered as the connection's handler: it receives the reads and the write acks.</param>
    public AkkaIoStream(IActorRef connection, IActorRef owner)
    {
        _connection = connection;
        _owner = owner;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Bytes from the network (called on the transport's thread).</summary>
    public void Feed(ByteString data)
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            if (_ended || data.IsEmpty)
            {
                return;
            }
            _received.Enqueue(data);
            waiter = _readWaiter;
            _readWaiter = null;
        }
        waiter?.TrySetResult();
    }

    /// <summary>The connection took the last write: complete it and send the next.</summary>
    public void OnWriteAcked()
    {
        TaskCompletionSource? done = null;
        lock (_gate)
        {
            if (_writes.Count > 0)
            {
                done = _writes.Dequeue().Done;
            }
            _writing = false;
            SendNextWrite();
        }
        done?.TrySetResult();
    }

    /// <summary>
    /// The connection is gone (<paramref name="error"/> null: the peer closed it). Reads return what was received, then 0
    /// (or throw with the reason); waiting writes fail.
    /// </summary>
    public void End(string? error)
    {
        TaskCompletionSource? waiter;
        List<TaskCompletionSource> failed = new();
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }
            _ended = true;
            _endReason = error;
            waiter = _readWaiter;
            _readWaiter = null;
            while (_writes.Count > 0)
            {
                failed.Add(_writes.Dequeue().Done);
            }
        }
        waiter?.TrySetResult();
        foreach (var write in failed)
        {
            write.TrySetException(new IOException(error ?? "the connection closed"));
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_received.Count > 0)
                {
                    return CopyReceived(buffer.Span);
                }
                if (_ended)
                {
                    return _endReason is null ? 0 : throw new IOException(_endReason);
                }
                _readWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _readWaiter.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }
        // A copy: the caller may reuse its buffer as soon as this returns.
        var data = ByteString.CopyFrom(MemoryMarshal.AsMemory(buffer));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_ended)
            {
                throw new IOException(_endReason ?? "the connection closed");
            }
            _writes.Enqueue((data, done));
            SendNextWrite();
        }
        return new ValueTask(done.Task.WaitAsync(cancellationToken));
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    // The synchronous API would block a thread on the network; SslStream is only used through its async methods here.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("AkkaIoStream is asynchronous only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("AkkaIoStream is asynchronous only.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            End("the stream was disposed");
        }
        base.Dispose(disposing);
    }

    // Under _gate. One Tcp.Write on the wire at a time; the ack goes to the owner, which calls OnWriteAcked.
    private void SendNextWrite()
    {
        if (_writing || _writes.Count == 0 || _ended)
        {
            return;
        }
        _writing = true;
        _connection.Tell(Tcp.Write.Create(_writes.Peek().Data, WriteAck.Instance), _owner);
    }

    // Under _gate.
    private int CopyReceived(Span<byte> destination)
    {
        int copied = 0;
        while (copied < destination.Length && _received.Count > 0)
        {
            var head = _received.Peek();
            int take = Math.Min(head.Count - _receivedOffset, destination.Length - copied);
            head.ToReadOnlySpan().Slice(_receivedOffset, take).CopyTo(destination.Slice(copied, take));
            copied += take;
            _receivedOffset += take;
            if (_receivedOffset == head.Count)
            {
                _received.Dequeue();
                _receivedOffset = 0;
            }
        }
        return copied;
    }
}
