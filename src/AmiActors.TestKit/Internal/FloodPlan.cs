namespace AmiActors.TestKit.Internal;

/// <summary>
/// Pre-serialized bytes for a flood: the template's frames repeated into one chunk of about 256 KiB, so N events
/// cost N / framesPerChunk socket writes and no per-event work.
/// </summary>
internal sealed class FloodPlan
{
    private const int ChunkTarget = 256 * 1024;

    private readonly byte[] _chunk;
    private readonly int[] _frameEnds; // end offset of each template frame within one template copy
    private readonly int _templateLength;
    private readonly int _copies;

    private FloodPlan(byte[] chunk, int[] frameEnds, int templateLength, int copies)
    {
        _chunk = chunk;
        _frameEnds = frameEnds;
        _templateLength = templateLength;
        _copies = copies;
    }

    private int FramesPerChunk => _frameEnds.Length * _copies;

    public static FloodPlan Create(ReadOnlyMemory<byte> template)
    {
        var span = template.Span;
        var ends = new List<int>();
        int lineStart = 0;
        bool frameHasContent = false;
        while (lineStart < span.Length)
        {
            int lf = span[lineStart..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                break;
            }
            int lineEnd = lineStart + lf;
            bool empty = lf == 0 || (lf == 1 && span[lineStart] == (byte)'\r');
            lineStart = lineEnd + 1;
            if (empty)
            {
                if (!frameHasContent)
                {
                    throw new ArgumentException("The flood template has an empty frame (a blank line outside a frame).", nameof(template));
                }
                ends.Add(lineStart);
                frameHasContent = false;
            }
            else
            {
                frameHasContent = true;
            }
        }
        if (ends.Count == 0 || ends[^1] != span.Length)
        {
            throw new ArgumentException("The flood template must be whole frames, each ending with a blank line.", nameof(template));
        }
        int copies = Math.Max(1, ChunkTarget / span.Length);
        var chunk = new byte[span.Length * copies];
        for (int i = 0; i < copies; i++)
        {
            span.CopyTo(chunk.AsSpan(i * span.Length));
        }
        return new FloodPlan(chunk, ends.ToArray(), span.Length, copies);
    }

    /// <summary>Bytes needed for <paramref name="count"/> events.</summary>
    public long BytesFor(long count)
    {
        long wholeTemplates = count / _frameEnds.Length;
        int partial = (int)(count % _frameEnds.Length);
        return wholeTemplates * _templateLength + (partial == 0 ? 0 : _frameEnds[partial - 1]);
    }

    public async Task WriteAsync(Stream stream, long count, FakeAmiSession session, TimeSpan? writeTimeout, CancellationToken cancellationToken)
    {
        long remaining = count;
        while (remaining >= FramesPerChunk)
        {
            await WriteChunkAsync(stream, _chunk, writeTimeout, cancellationToken).ConfigureAwait(false);
            session.CountWritten(_chunk.Length);
            remaining -= FramesPerChunk;
        }
        int tail = (int)BytesFor(remaining);
        if (tail > 0)
        {
            await WriteChunkAsync(stream, _chunk.AsMemory(0, tail), writeTimeout, cancellationToken).ConfigureAwait(false);
            session.CountWritten(tail);
        }
    }

    private static async ValueTask WriteChunkAsync(Stream stream, ReadOnlyMemory<byte> chunk, TimeSpan? writeTimeout, CancellationToken cancellationToken)
    {
        if (writeTimeout is null)
        {
            await stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            return;
        }
        // The timeout covers a whole chunk (256 KiB), far more than one event: scale it so a reading client is never dropped.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(writeTimeout.Value * 16);
        await stream.WriteAsync(chunk, limit.Token).ConfigureAwait(false);
    }
}
