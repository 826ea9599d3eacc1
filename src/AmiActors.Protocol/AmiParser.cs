using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
namespace AmiActors.Protocol;

/// <summary>Options for <see cref="AmiParser"/>.</summary>
public sealed record AmiParserOptions
{
    /// <summary>The default maximum frame size: 4 MiB (a very large Command output fits; a runaway stream does not).</summary>
    public const int DefaultMaxFrameSize = 4 * 1024 * 1024;

    /// <summary>Largest frame, in bytes including line ends, the parser buffers. Past it the frame is discarded and an error reported.</summary>
    public int MaxFrameSize { get; init; } = DefaultMaxFrameSize;

    /// <summary>True (default) when the stream starts with the server's banner line; false to parse frames from the first byte.</summary>
    public bool ExpectBanner { get; init; } = true;

    /// <summary>The defaults: 4 MiB frames, banner expected.</summary>
    public static AmiParserOptions Default { get; } = new();
}

/// <summary>The outcome of one <see cref="AmiParser.Read"/> call.</summary>
public enum AmiReadStatus
{
    /// <summary>All input was consumed and no complete frame is buffered: feed more bytes.</summary>
    NeedMoreData = 0,
    /// <summary>A message was produced.</summary>
    Message = 1,
    /// <summary>A protocol error was produced; parsing continues with the next frame.</summary>
    Error = 2,
}

/// <summary>
/// An incremental AMI parser: bytes in, in chunks of any size, messages out.
/// </summary>
/// <remarks>
/// The parser keeps only the current incomplete frame (bounded by <see cref="AmiParserOptions.MaxFrameSize"/>)
/// and never rescans bytes it has already looked at. Framing allocates nothing once its buffer has grown
/// to the largest frame seen; each message costs two allocations. Not thread-safe: one parser per stream.
/// <code>
/// var input = chunk.AsSpan();
/// while (parser.Read(ref input, out var message, out var error) != AmiReadStatus.NeedMoreData) { ... }
/// </code>
/// </remarks>
public sealed class AmiParser
{
    private const int InitialBufferSize = 8 * 1024;
    private static ReadOnlySpan<byte> EndCommand => "--END COMMAND--"u8;

    private readonly int _maxFrameSize;
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _frameStart;     // start of the frame being scanned
    private int _end;            // end of buffered data
    private int _lineStart;      // start of the line being scanned
    private int _scanned;        // no LF in [_lineStart, _scanned): bytes already searched for the current line
    private int[] _lines = new int[64]; // pairs (start, contentEnd) relative to _frameStart
    private int _lineInts;
    private bool _bannerPending;
    private bool _discarding;    // dropping an oversize frame up to its blank line
    private bool _discardDirty;  // while discarding: the current line already had content dropped
    private int _legacyState;    // 0 none, 1 headers of a Follows frame, 2 in raw body, 3 after --END COMMAND--
    private int _bodyStart = -1, _bodyLength = -1, _bodySearchFrom;
    private long _consumedBefore; // stream offset of _buffer[0]
    // Shared reads (ReadShared): _buffer[p] for p in [_shareFrom, _shareTo) is _shareArray[p + _shareDelta].
    private byte[]? _shareArray;
    private int _shareFrom, _shareTo, _shareDelta;
    private bool _shareBounded;
    private IndexSlab? _slab;

    /// <summary>Creates a parser with the given options (defaults when null).</summary>
    public AmiParser(AmiParserOptions? options = null)
    {
        options ??= AmiParserOptions.Default;
        if (options.MaxFrameSize < 64)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxFrameSize must be at least 64 bytes.");
        }
        _maxFrameSize = options.MaxFrameSize;
        _bannerPending = options.ExpectBanner;
    }

    /// <summary>True while the parser still waits for the banner line.</summary>
    public bool AwaitingBanner => _bannerPending;

    /// <summary>Bytes of an incomplete frame currently buffered.</summary>
    public int BufferedBytes => _end - _frameStart;

    /// <summary>Total bytes fed to this parser.</summary>
    public long TotalBytes => _consumedBefore + _end;

    /// <summary>
    /// Consumes bytes from <paramref name="input"/> until one message or error is ready, or the input is exhausted.
    /// Call repeatedly with the same (advanced) span until it returns <see cref="AmiReadStatus.NeedMoreData"/>.
    /// </summary>
    public AmiReadStatus Read(ref ReadOnlySpan<byte> input, out AmiMessage? message, out AmiProtocolError error)
    {
        while (true)
        {
            var status = Scan(out message, out error, build: true);
            if (status != AmiReadStatus.NeedMoreData)
            {
                return status;
            }
            if (input.IsEmpty)
            {
                return AmiReadStatus.NeedMoreData;
            }
            _shareArray = null;
            int taken = Fill(input);
            input = input[taken..];
        }
    }

    /// <summary>
    /// Like <see cref="Read(ref ReadOnlySpan{byte}, out AmiMessage?, out AmiProtocolError)"/>, for a chunk whose
    /// array the caller guarantees nobody will ever modify (a fresh array per network read, for instance). A
    /// complete frame that lies wholly inside the chunk becomes a message that references the chunk's array
    /// instead of copying its bytes (<see cref="AmiMessage.SharesReadBuffer"/>); a frame that spans chunks, the
    /// banner, and frames of 32 KiB or more are copied as by the span overload. Each shared message keeps the
    /// whole array alive while it is reachable: see <see cref="AmiMessage.Detach"/>.
    /// Call repeatedly with the same (advanced) segment until it returns <see cref="AmiReadStatus.NeedMoreData"/>.
    /// </summary>
    public AmiReadStatus ReadShared(ref ArraySegment<byte> input, out AmiMessage? message, out AmiProtocolError error)
        => ReadShared(ref input, bounded: false, out message, out error);

    /// <summary>
    /// Like <see cref="ReadShared(ref ArraySegment{byte}, out AmiMessage?, out AmiProtocolError)"/>; with
    /// <paramref name="bounded"/>, a frame references the chunk's array only when the array is at most twice the
    /// frame's length, and such a message's line index is an array of its own (not a slab other messages share), so a
    /// kept message keeps at most about twice its own bytes alive. Every other frame is copied. A network read that
    /// carries one event, as most reads from a real Asterisk do, is then shared; the reads of a flood are copied.
    /// </summary>
    public AmiReadStatus ReadShared(ref ArraySegment<byte> input, bool bounded, out AmiMessage? message, out AmiProtocolError error)
    {
        _shareBounded = bounded;
        while (true)
        {
            var status = Scan(out message, out error, build: true);
            if (status != AmiReadStatus.NeedMoreData)
            {
                return status;
            }
            if (input.Count == 0 || input.Array is null)
            {
                return AmiReadStatus.NeedMoreData;
            }
            int taken = Fill(input.AsSpan());
            // Fill may have compacted the buffer: the new bytes start at _end - taken.
            int at = _end - taken;
            if (_shareArray != input.Array || _shareTo != at || _shareDelta != input.Offset - at)
            {
                _shareArray = input.Array;
                _shareFrom = at;
                _shareDelta = input.Offset - at;
            }
            _shareTo = _end;
            input = input[taken..];
        }
    }

    /// <summary>
    /// Frames <paramref name="input"/> without building messages and returns the number of complete frames
    /// (the banner included). For benchmarks and tests: proves that framing alone allocates nothing.
    /// </summary>
    internal int CountFrames(ReadOnlySpan<byte> input)
    {
        int frames = 0;
        while (true)
        {
            var status = Scan(out _, out _, build: false);
            if (status == AmiReadStatus.Message)
            {
                frames++;
                continue;
            }
            if (status == AmiReadStatus.Error)
            {
                continue;
            }
            if (input.IsEmpty)
            {
                return frames;
            }
            _shareArray = null;
            input = input[Fill(input)..];
        }
    }

    /// <summary>
    /// Declares the end of the stream. Returns a <see cref="AmiProtocolErrorCode.TruncatedFrame"/> error when a
    /// frame was cut in the middle (its bytes are dropped), otherwise null. The parser is reset for a new stream
    /// (expecting a banner again if configured so).
    /// </summary>
    public AmiProtocolError? Complete(bool expectBannerOnNextStream = true)
    {
        AmiProtocolError? result = null;
        bool pending = _end > _frameStart && !_discarding && (_lineInts > 0 || _legacyState != 0 || !IsAllWhitespace(_buffer.AsSpan(_frameStart, _end - _frameStart)));
        if (pending)
        {
            result = new AmiProtocolError(AmiProtocolErrorCode.TruncatedFrame, $"the stream ended inside a frame ({_end - _frameStart} bytes buffered)", _consumedBefore + _frameStart);
        }
        Reset(expectBannerOnNextStream);
        return result;
    }

    /// <summary>Drops all buffered state, as for a new connection.</summary>
    public void Reset(bool expectBanner = true)
    {
        _consumedBefore += _end;
        _frameStart = _end = _lineStart = _scanned = 0;
        _shareArray = null;
        _lineInts = 0;
        _discarding = false;
        _discardDirty = false;
        ResetLegacy();
        _bannerPending = expectBanner;
        if (_buffer.Length > InitialBufferSize * 8)
        {
            _buffer = new byte[InitialBufferSize];
        }
    }

    private static bool IsAllWhitespace(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept((byte)'\r', (byte)'\n') < 0;

    private int Fill(ReadOnlySpan<byte> input)
    {
        if (_frameStart > 0 && (_end == _buffer.Length || _frameStart >= _buffer.Length / 2))
        {
            Compact();
            if (_buffer.Length > InitialBufferSize * 8 && _end < InitialBufferSize / 2)
            {
                // A large frame has passed: give its memory back instead of holding it for the life of the connection.
                var smaller = new byte[InitialBufferSize];
                _buffer.AsSpan(0, _end).CopyTo(smaller);
                _buffer = smaller;
            }
        }
        if (_end == _buffer.Length)
        {
            // Grow up to the frame limit (plus room for the line that proves it is too large).
            int target = Math.Min(_buffer.Length * 2, _maxFrameSize + InitialBufferSize);
            if (target > _buffer.Length)
            {
                Array.Resize(ref _buffer, target);
            }
        }
        int n = Math.Min(input.Length, _buffer.Length - _end);
        input[..n].CopyTo(_buffer.AsSpan(_end));
        _end += n;
        return n;
    }

    private void Compact()
    {
        int shift = _frameStart;
        int live = _end - _frameStart;
        Buffer.BlockCopy(_buffer, shift, _buffer, 0, live);
        _consumedBefore += shift;
        _frameStart = 0;
        _end = live;
        _lineStart -= shift;
        _scanned = Math.Max(0, _scanned - shift);
        _shareFrom -= shift;
        _shareTo -= shift;
        _shareDelta += shift;
        if (_bodySearchFrom > 0)
        {
            _bodySearchFrom -= shift;
        }
    }

    private AmiReadStatus Scan(out AmiMessage? message, out AmiProtocolError error, bool build)
    {
        message = null;
        error = default;
        var buffer = _buffer;
        while (true)
        {
            if (_discarding)
            {
                if (!Discard())
                {
                    return AmiReadStatus.NeedMoreData;
                }
                continue;
            }

            if (_legacyState == 2)
            {
                if (!FindEndCommand())
                {
                    return CheckOversize(ref error);
                }
                continue;
            }

            if (_lineInts >= 2 && _legacyState == 0)
            {
                ScanHeaderLines(buffer);
            }

            int from = Math.Max(_lineStart, _scanned);
            int lf = buffer.AsSpan(from, _end - from).IndexOf((byte)'\n');
            if (lf < 0)
            {
                _scanned = _end;
                return CheckOversize(ref error);
            }
            int lineEnd = from + lf;
            int contentEnd = lineEnd > _lineStart && buffer[lineEnd - 1] == (byte)'\r' ? lineEnd - 1 : lineEnd;
            int lineStart = _lineStart;
            _lineStart = lineEnd + 1;

            if (_bannerPending)
            {
                if (contentEnd == lineStart)
                {
                    _frameStart = _lineStart; // tolerate blank lines before the banner
                    continue;
                }
                _bannerPending = false;
                if (build)
                {
                    Span<int> one = [0, contentEnd - lineStart];
                    message = AmiMessage.Build(buffer.AsSpan(lineStart, contentEnd - lineStart), one, -1, -1, banner: true);
                }
                _frameStart = _lineStart;
                return AmiReadStatus.Message;
            }

            if (contentEnd == lineStart)
            {
                if (_lineInts == 0 && _legacyState == 0)
                {
                    _frameStart = _lineStart; // empty frame: skip
                    continue;
                }
                if (lineEnd + 1 - _frameStart > _maxFrameSize)
                {
                    error = new AmiProtocolError(AmiProtocolErrorCode.FrameTooLarge, $"frame of {lineEnd + 1 - _frameStart} bytes exceeds the maximum frame size of {_maxFrameSize} bytes; discarded", _consumedBefore + _frameStart);
                    _frameStart = _lineStart;
                    _lineInts = 0;
                    ResetLegacy();
                    return AmiReadStatus.Error;
                }
                if (build)
                {
                    int frameLength = lineEnd + 1 - _frameStart;
                    // Bounded: only a frame of at least half its read's array, with an index of its own (no slab).
                    if (_shareArray is { } shared && _frameStart >= _shareFrom && lineEnd < _shareTo && (!_shareBounded || shared.Length / 2 <= frameLength))
                    {
                        message = AmiMessage.BuildShared(shared, _frameStart + _shareDelta, frameLength, _lines.AsSpan(0, _lineInts), _bodyStart, _bodyLength, _shareBounded ? null : (_slab ??= new IndexSlab()));
                    }
                    message ??= AmiMessage.Build(buffer.AsSpan(_frameStart, frameLength), _lines.AsSpan(0, _lineInts), _bodyStart, _bodyLength, banner: false);
                }
                _frameStart = _lineStart;
                _lineInts = 0;
                ResetLegacy();
                return AmiReadStatus.Message;
            }

            if (_legacyState == 3)
            {
                continue; // the --END COMMAND-- line itself
            }

            if (_legacyState == 1 && !IsLegacyHeader(buffer.AsSpan(lineStart, contentEnd - lineStart)))
            {
                // First line of the raw body of a legacy "Response: Follows" Command frame.
                _legacyState = 2;
                _bodyStart = lineStart - _frameStart;
                _bodySearchFrom = lineStart;
                _lineStart = lineStart;
                continue;
            }

            if (_lineInts + 2 > _lines.Length)
            {
                Array.Resize(ref _lines, _lines.Length * 2);
            }
            _lines[_lineInts++] = lineStart - _frameStart;
            _lines[_lineInts++] = contentEnd - _frameStart;

            if (_lineInts == 2 && IsFollows(buffer.AsSpan(lineStart, contentEnd - lineStart)))
            {
                _legacyState = 1;
            }
        }
    }

    // The hot path: records the non-empty lines of a frame whose first line has been seen, with the state in
    // locals. Stops before an empty line or an incomplete line, which the general loop then handles.
    private void ScanHeaderLines(byte[] buffer)
    {
        int lineStart = _lineStart;
        int from = Math.Max(lineStart, _scanned);
        int end = _end;
        int frameStart = _frameStart;
        int lineInts = _lineInts;
        int[] lines = _lines;
        // One 32-byte compare finds the line ends of one or two typical header lines at once; the mask is kept
        // across lines and a block is loaded only when its line ends are used up.
        bool vector = Vector256.IsHardwareAccelerated;
        var lfs = Vector256.Create((byte)'\n');
        ref byte data = ref MemoryMarshal.GetArrayDataReference(buffer);
        int blockBase = 0;
        uint mask = 0;
        while (true)
        {
            int lineEnd;
            while (true)
            {
                if (mask != 0)
                {
                    lineEnd = blockBase + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    break;
                }
                if (vector && end - from >= 32)
                {
                    blockBase = from;
                    mask = Vector256.Equals(Vector256.LoadUnsafe(ref data, (nuint)from), lfs).ExtractMostSignificantBits();
                    from += 32;
                    continue;
                }
                int lf = buffer.AsSpan(from, end - from).IndexOf((byte)'\n');
                if (lf < 0)
                {
                    _scanned = end;
                    _lineStart = lineStart;
                    _lineInts = lineInts;
                    return;
                }
                lineEnd = from + lf;
                from = lineEnd + 1;
                break;
            }
            int contentEnd = lineEnd > lineStart && Unsafe.Add(ref data, lineEnd - 1) == (byte)'\r' ? lineEnd - 1 : lineEnd;
            if (contentEnd == lineStart)
            {
                break;
            }
            if (lineInts + 2 > lines.Length)
            {
                Array.Resize(ref _lines, lines.Length * 2);
                lines = _lines;
            }
            lines[lineInts] = lineStart - frameStart;
            lines[lineInts + 1] = contentEnd - frameStart;
            lineInts += 2;
            lineStart = lineEnd + 1;
            if (mask == 0 && from < lineStart)
            {
                from = lineStart;
            }
        }
        _lineStart = lineStart;
        _lineInts = lineInts;
    }

    private AmiReadStatus CheckOversize(ref AmiProtocolError error)
    {
        int size = _end - _frameStart;
        if (size <= _maxFrameSize)
        {
            return AmiReadStatus.NeedMoreData;
        }
        error = new AmiProtocolError(AmiProtocolErrorCode.FrameTooLarge, $"frame exceeds the maximum frame size of {_maxFrameSize} bytes; discarded up to the next blank line", _consumedBefore + _frameStart);
        // Keep discarding from where scanning stopped; remember whether the last complete line was empty.
        _discarding = true;
        _discardDirty = _buffer.AsSpan(_lineStart, _end - _lineStart).IndexOfAnyExcept((byte)'\r') >= 0;
        _frameStart = _lineStart = _end;
        _lineInts = 0;
        ResetLegacy();
        _bannerPending = false;
        return AmiReadStatus.Error;
    }

    // Drops bytes until an empty line; true when the oversize frame has ended.
    private bool Discard()
    {
        while (_lineStart < _end)
        {
            int lf = _buffer.AsSpan(_lineStart, _end - _lineStart).IndexOf((byte)'\n');
            if (lf < 0)
            {
                // Keep a lone trailing CR so an empty line split across reads is still recognised.
                var rest = _buffer.AsSpan(_lineStart, _end - _lineStart);
                if (rest.Length == 1 && rest[0] == (byte)'\r' && !_discardDirty)
                {
                    _frameStart = _lineStart;
                }
                else
                {
                    _discardDirty = true;
                    _frameStart = _lineStart = _end;
                }
                return false;
            }
            bool empty = !_discardDirty && (lf == 0 || (lf == 1 && _buffer[_lineStart] == (byte)'\r'));
            _discardDirty = false;
            _lineStart += lf + 1;
            _frameStart = _lineStart;
            if (empty)
            {
                _discarding = false;
                return true;
            }
        }
        _frameStart = _lineStart = _end;
        return false;
    }

    private bool FindEndCommand()
    {
        int from = _bodySearchFrom;
        int idx = _buffer.AsSpan(from, _end - from).IndexOf(EndCommand);
        if (idx < 0)
        {
            _bodySearchFrom = Math.Max(from, _end - (EndCommand.Length - 1));
            return false;
        }
        int marker = from + idx;
        _bodyLength = marker - _frameStart - _bodyStart;
        _legacyState = 3;
        _lineStart = marker;
        return true;
    }

    private void ResetLegacy()
    {
        _legacyState = 0;
        _bodyStart = -1;
        _bodyLength = -1;
        _bodySearchFrom = 0;
    }

    private static bool IsFollows(ReadOnlySpan<byte> line)
    {
        // "Response: Follows" (any case, optional space)
        if (line.Length < 16 || !System.Text.Ascii.EqualsIgnoreCase(line[..9], "Response:"u8))
        {
            return false;
        }
        var value = line[9..].TrimStart((byte)' ');
        return System.Text.Ascii.EqualsIgnoreCase(value.TrimEnd((byte)' '), "Follows"u8);
    }

    private static bool IsLegacyHeader(ReadOnlySpan<byte> line)
    {
        int colon = line.IndexOf((byte)':');
        if (colon < 0)
        {
            return false;
        }
        var name = line[..colon];
        return System.Text.Ascii.EqualsIgnoreCase(name, "Privilege"u8) || System.Text.Ascii.EqualsIgnoreCase(name, "ActionID"u8);
    }
}
