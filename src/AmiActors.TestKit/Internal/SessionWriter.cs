namespace AmiActors.TestKit.Internal;

/// <summary>
/// The single writer of one session: every frame goes through its queue and is written in queue order, so frames
/// never interleave. At most one party owns the stream at a time: the session's write thread (events from other
/// threads, floods, byte-by-byte delivery, holds) or the session's read thread, which writes the responses to the
/// actions it has just run itself, as Asterisk's session thread does, instead of handing them over.
/// </summary>
/// <remarks>
/// Writes are blocking, on the session's own threads: the fake server then needs nothing from the thread pool on the
/// path of a request and its response, so it does not compete with the client under test (an actor system on the same
/// pool) for threads. The read thread brackets the synchronous part of running an action with <see cref="Cork"/> and
/// <see cref="Uncork"/>: while corked, queued frames wait, so the responses to a burst of pipelined actions leave in one
/// write; the read thread uncorks before it waits for anything, so corking never holds frames back for long.
/// </remarks>
internal sealed class SessionWriter
{
    private const int BatchSize = 64 * 1024;
    private const int QueueCapacity = 8192;

    private readonly object _lock = new();
    private readonly Queue<Item> _items = new();
    private readonly SemaphoreSlim _room = new(QueueCapacity, QueueCapacity);
    private readonly Func<bool> _byteByByte;
    private readonly byte[] _inlineBatch = new byte[BatchSize];
    private bool _writing;
    private bool _corked;
    private bool _completed;
    private bool _failed;
    private long _bytesWritten;

    public SessionWriter(Func<bool> byteByByte)
    {
        _byteByByte = byteByByte;
    }

    /// <summary>Total bytes written to the socket.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Queues bytes; completes when queued (not written). False when the session is closed.</summary>
    public ValueTask<bool> EnqueueAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var item = new Item(data, null, null);
        if (_room.Wait(0))
        {
            return ValueTask.FromResult(Add(item));
        }
        return EnqueueSlowAsync(item, cancellationToken);
    }

    /// <summary>Runs <paramref name="work"/> on the writer, after everything queued before it; completes when it has run.</summary>
    /// <remarks>The stream given to <paramref name="work"/> writes synchronously (its async methods complete at once).</remarks>
    public async Task RunAsync(Func<Stream, CancellationToken, Task> work, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!await EnqueueSlowAsync(new Item(default, work, done), cancellationToken).ConfigureAwait(false))
        {
            throw Closed();
        }
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes when everything queued so far has been written (or the session closed).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!await EnqueueSlowAsync(new Item(default, null, done), cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        try
        {
            await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The session closed: nothing more will be written.
        }
    }

    /// <summary>Stops accepting new items; the write loop ends after writing what is queued.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            _corked = false;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>The read thread is about to run an action: hold queued frames until <see cref="Uncork"/>.</summary>
    public void Cork()
    {
        lock (_lock)
        {
            _corked = true;
        }
    }

    /// <summary>
    /// Ends <see cref="Cork"/>. With <paramref name="writeHere"/>, the caller writes what is queued itself (blocking) when
    /// nobody else is writing; otherwise the write loop is woken for it. Throws when the caller's write fails.
    /// </summary>
    public void Uncork(Stream stream, bool writeHere)
    {
        lock (_lock)
        {
            _corked = false;
            if (_items.Count == 0 || _writing || _failed)
            {
                return;
            }
            if (!writeHere || _byteByByte() || !_items.Peek().IsPlain)
            {
                Monitor.PulseAll(_lock);
                return;
            }
            _writing = true;
        }
        bool ok = false;
        try
        {
            WritePlain(stream, _inlineBatch);
            stream.Flush();
            ok = true;
        }
        finally
        {
            lock (_lock)
            {
                _writing = false;
                if (!ok)
                {
                    _failed = true;
                    _completed = true;
                }
                // Whatever is left (work items, frames queued meanwhile, a failure to report) belongs to the write loop.
                if (_items.Count > 0 || !ok)
                {
                    Monitor.PulseAll(_lock);
                }
            }
        }
    }

    // Writes the plain frames at the head of the queue, as many per write as fit the batch.
    private void WritePlain(Stream stream, byte[] batch)
    {
        int used;
        while ((used = TakePlain(batch)) > 0)
        {
            WriteCounted(stream, batch.AsSpan(0, used));
        }
    }

    // Moves the plain frames at the head of the queue (as many as fit the batch) into the batch; 0 when none fits.
    private int TakePlain(byte[] batch)
    {
        int used = 0;
        int taken = 0;
        lock (_lock)
        {
            while (_items.TryPeek(out var item) && item.IsPlain && item.Data.Length <= batch.Length - used && !_byteByByte())
            {
                _items.Dequeue();
                taken++;
                item.Data.Span.CopyTo(batch.AsSpan(used));
                used += item.Data.Length;
            }
        }
        if (taken > 0)
        {
            _room.Release(taken);
        }
        return used;
    }

    private bool Add(Item item)
    {
        lock (_lock)
        {
            if (_completed)
            {
                _room.Release();
                return false;
            }
            _items.Enqueue(item);
            if (!_writing && !_corked)
            {
                Monitor.PulseAll(_lock);
            }
            return true;
        }
    }

    private async ValueTask<bool> EnqueueSlowAsync(Item item, CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Add(item);
    }

    // Blocks until there is something the loop may write (and takes the stream): false when the writer is done.
    private bool Acquire(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            while (true)
            {
                if (_failed || cancellationToken.IsCancellationRequested)
                {
                    return false;
                }
                if (_items.Count > 0 && !_writing && !_corked)
                {
                    _writing = true;
                    return true;
                }
                if (_completed && _items.Count == 0 && !_writing)
                {
                    return false;
                }
                Monitor.Wait(_lock);
            }
        }
    }

    private bool TryTake(out Item item)
    {
        lock (_lock)
        {
            if (_items.TryDequeue(out item))
            {
                _room.Release();
                return true;
            }
            return false;
        }
    }

    /// <summary>
    /// The write loop, run by the session's write thread (it blocks). Never throws; ends when the writer is completed and
    /// drained, or on a write error or cancellation.
    /// </summary>
    public void WriteLoop(Stream stream, CancellationToken cancellationToken)
    {
        var batch = new byte[BatchSize];
        var workStream = new SyncWriteStream(stream);
        using var wake = cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                Monitor.PulseAll(_lock);
            }
        });
        try
        {
            while (Acquire(cancellationToken))
            {
                try
                {
                    // Plain frames in batches; anything else (work, byte-by-byte delivery, a frame larger than a batch) on its own, in queue order.
                    while (true)
                    {
                        WritePlain(stream, batch);
                        if (!TryTake(out var item))
                        {
                            break;
                        }
                        try
                        {
                            if (item.Work is not null)
                            {
                                item.Work(workStream, cancellationToken).GetAwaiter().GetResult();
                            }
                            else if (!item.Data.IsEmpty)
                            {
                                if (_byteByByte())
                                {
                                    for (int i = 0; i < item.Data.Length; i++)
                                    {
                                        WriteCounted(stream, item.Data.Span.Slice(i, 1));
                                        stream.Flush();
                                        Thread.Yield();
                                    }
                                }
                                else
                                {
                                    WriteCounted(stream, item.Data.Span);
                                }
                            }
                            stream.Flush();
                            item.Done?.TrySetResult();
                        }
                        catch (Exception ex)
                        {
                            item.Done?.TrySetException(ex is IOException ? ex : new IOException("The session's connection failed while writing.", ex));
                            throw;
                        }
                    }
                    stream.Flush();
                }
                finally
                {
                    lock (_lock)
                    {
                        _writing = false;
                    }
                }
            }
        }
        catch (Exception)
        {
            // A write failure or cancellation ends the session; the session sees it through its own loop.
        }
        finally
        {
            List<Item> left;
            lock (_lock)
            {
                _completed = true;
                _failed = true;
                left = [.. _items];
                _items.Clear();
            }
            foreach (var item in left)
            {
                item.Done?.TrySetException(Closed());
            }
        }
    }

    private void WriteCounted(Stream stream, ReadOnlySpan<byte> data)
    {
        stream.Write(data);
        Interlocked.Add(ref _bytesWritten, data.Length);
    }

    /// <summary>Counts bytes written by work items that write to the stream themselves.</summary>
    public void CountWritten(long bytes) => Interlocked.Add(ref _bytesWritten, bytes);

    private static IOException Closed() => new("The session is closed.");

    private readonly record struct Item(ReadOnlyMemory<byte> Data, Func<Stream, CancellationToken, Task>? Work, TaskCompletionSource? Done)
    {
        public bool IsPlain => Work is null && Done is null;
    }

    /// <summary>
    /// The stream work items write to: every write is a blocking write on the write thread (the async methods complete at
    /// once), so the socket never switches to the runtime's asynchronous mode and the threads keep their blocking I/O.
    /// Large writes go out in 64 KiB pieces, each under the socket's send timeout on its own.
    /// </summary>
    private sealed class SyncWriteStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            inner.Flush();
            return Task.CompletedTask;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                int n = Math.Min(buffer.Length, BatchSize);
                inner.Write(buffer[..n]);
                buffer = buffer[n..];
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}
