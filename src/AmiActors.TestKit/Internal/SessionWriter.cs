using System.Threading.Channels;

namespace AmiActors.TestKit.Internal;

/// <summary>
/// The single writer of one session: every frame goes through its queue, so frames never interleave. Small frames
/// are coalesced into large writes; "work" items (floods, byte-by-byte delivery) run on the writer with the stream
/// to themselves.
/// </summary>
internal sealed class SessionWriter
{
    private const int BatchSize = 64 * 1024;
    private const int QueueCapacity = 8192;
    private const int SmallBatch = 8 * 1024;

    private readonly Channel<Item> _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Func<bool> _byteByByte;
    private readonly TimeSpan? _writeTimeout;

    public SessionWriter(Func<bool> byteByByte, TimeSpan? writeTimeout)
    {
        _byteByByte = byteByByte;
        _writeTimeout = writeTimeout;
    }

    /// <summary>Total bytes written to the socket.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    private long _bytesWritten;

    /// <summary>Queues bytes; completes when queued (not written). False when the session is closed.</summary>
    public ValueTask<bool> EnqueueAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var item = new Item(data, null, null);
        if (_queue.Writer.TryWrite(item))
        {
            return ValueTask.FromResult(true);
        }
        return EnqueueSlowAsync(item, cancellationToken);
    }

    /// <summary>Runs <paramref name="work"/> on the writer, after everything queued before it; completes when it has run.</summary>
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

    /// <summary>Stops accepting new items; the loop ends after writing what is queued.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async ValueTask<bool> EnqueueSlowAsync(Item item, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>The writer loop. Never throws; ends when the queue is completed and drained, or on a write error or cancellation.</summary>
    public async Task WriteLoopAsync(Stream stream, CancellationToken cancellationToken)
    {
        var batch = new byte[BatchSize];
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                int used = 0;
                bool yielded = false;
            Drain:
                while (reader.TryRead(out var item))
                {
                    bool plain = item.Work is null && item.Done is null && !_byteByByte();
                    if (plain && item.Data.Length <= batch.Length - used)
                    {
                        item.Data.Span.CopyTo(batch.AsSpan(used));
                        used += item.Data.Length;
                        continue;
                    }
                    try
                    {
                        // Inside the try: when the batch write fails, this item (already dequeued) must still be completed.
                        if (used > 0)
                        {
                            await WriteCountedAsync(stream, batch.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
                            used = 0;
                        }
                        if (item.Work is not null)
                        {
                            await item.Work(stream, cancellationToken).ConfigureAwait(false);
                        }
                        else if (!item.Data.IsEmpty)
                        {
                            if (_byteByByte())
                            {
                                for (int i = 0; i < item.Data.Length; i++)
                                {
                                    await WriteCountedAsync(stream, item.Data.Slice(i, 1), cancellationToken).ConfigureAwait(false);
                                    await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                                    await Task.Yield();
                                }
                            }
                            else
                            {
                                await WriteCountedAsync(stream, item.Data, cancellationToken).ConfigureAwait(false);
                            }
                        }
                        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                        item.Done?.TrySetResult();
                    }
                    catch (Exception ex)
                    {
                        item.Done?.TrySetException(ex is IOException ? ex : new IOException("The session's connection failed while writing.", ex));
                        throw;
                    }
                }
                if (used > 0 && used < SmallBatch && !yielded)
                {
                    // A few small frames (responses to pipelined actions): let the producer add more before paying for a syscall.
                    yielded = true;
                    await Task.Yield();
                    goto Drain;
                }
                if (used > 0)
                {
                    await WriteCountedAsync(stream, batch.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
                }
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // A write failure or cancellation ends the session; the session sees it through its own loop.
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (reader.TryRead(out var left))
            {
                left.Done?.TrySetException(Closed());
            }
        }
    }

    private async ValueTask WriteCountedAsync(Stream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_writeTimeout is { } timeout)
        {
            // Asterisk's writetimeout: a write that cannot complete in time means a client that stopped reading.
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            await stream.WriteAsync(data, limit.Token).ConfigureAwait(false);
        }
        else
        {
            await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        Interlocked.Add(ref _bytesWritten, data.Length);
    }

    /// <summary>Counts bytes written by work items that write to the stream themselves.</summary>
    public void CountWritten(long bytes) => Interlocked.Add(ref _bytesWritten, bytes);

    private static IOException Closed() => new("The session is closed.");

    private readonly record struct Item(ReadOnlyMemory<byte> Data, Func<Stream, CancellationToken, Task>? Work, TaskCompletionSource? Done);
}
