using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace AmiActors.Protocol;

/// <summary>
/// One AMI frame: an ordered multimap of headers with case-insensitive lookup.
/// </summary>
/// <remarks>
/// A message owns one byte array that holds the frame's UTF-8 bytes followed by an index of its lines (2 bytes per
/// line for frames under 32 KiB), so parsing a message costs two heap allocations (this object and that array). Strings are created
/// only when a value is asked for, and each at most once. Instances are immutable and safe to share
/// between threads and actors.
/// <para>
/// A message parsed by <see cref="AmiParser.ReadShared(ref ArraySegment{byte}, bool, out AmiMessage?, out AmiProtocolError)"/>
/// (<c>ami.connection.share-read-buffers</c>: by default for a network read at most twice the message's size, as a read that
/// carries one event is; with <c>on</c> for every read) instead references the array of the read it arrived in, and its line
/// index (2 bytes per line) is a small array of its own, or with <c>on</c> carved from an array many messages share: the
/// object and its index cost about 90 to 130 bytes for a typical 17-line event, and no copy of the frame. Every accessor
/// reads the same either way. Such a message (<see cref="SharesReadBuffer"/>) keeps its read alive: call <see cref="Detach"/>
/// for one you keep when sharing is <c>on</c>.
/// </para>
/// </remarks>
public sealed class AmiMessage
{
    // Two index formats. The compact one, for frames under 32 KiB (nearly every frame): a header (line count: 16 bits,
    // frame offset in _data: 32 bits), then one 16-bit entry per line, relative to the frame start: the line's colon,
    // or for a line without one its start | 0x8000; then the legacy body's start and length (0xFFFF for -1). The rest
    // follows from the bytes: a line starts after the last LF before its colon (names hold no LF), its content ends at
    // the next LF (less one CR), and its value starts after the colon and one space, exactly as the parser splits lines.
    // A copied message holds [frame bytes][compact index] in one array; a shared message (built by AmiParser.ReadShared)
    // references a read's array instead (_data, the frame at the header's offset), and its index lives in _index at
    // _packed >> 4: an array of its own or a slab many messages share.
    //
    // The full format, for a copied frame of 32 KiB or more and the banner: _data is [frame bytes][pad to 4][4 entries
    // per line: nameStart, nameLength (-1 for a line without a colon), valueStart, valueLength][legacy body: 2 entries],
    // entries 16-bit (0xFFFF for -1) when the frame is shorter than 64 KiB and 32-bit otherwise.
    private readonly byte[] _data;
    private readonly byte[] _index;
    private readonly int _packed; // Kind in the low 3 bits, then CompactFlag; a compact index's offset in _index above them
    private readonly int _frameLength;
    private string?[]? _values;
    private string?[]? _names;

    private AmiMessage(byte[] data, int frameLength, int indexOffset, int lineCount, AmiMessageKind kind)
    {
        _data = data;
        _index = data;
        _frameLength = frameLength;
        Debug.Assert(indexOffset == OwnedIndexOffset(frameLength) && lineCount == LineCount);
        _packed = (int)kind;
    }

    private AmiMessage(byte[] data, int frameLength, byte[] index, int indexOffset, AmiMessageKind kind)
    {
        _data = data;
        _index = index;
        _frameLength = frameLength;
        Debug.Assert(indexOffset < 1 << 27);
        _packed = indexOffset << 4 | CompactFlag | (int)kind;
    }

    /// <summary>The kind of frame: event, response, banner or unknown.</summary>
    public AmiMessageKind Kind => (AmiMessageKind)(_packed & 7);

    private const int CompactFlag = 8;

    private bool Compact => (_packed & CompactFlag) != 0;

    // A shared message's index is never in its frame's array (a slab or an array of its own).
    private bool Shared => !ReferenceEquals(_index, _data);

    private int IndexOffset => Compact ? _packed >> 4 : OwnedIndexOffset(_frameLength);

    private static int OwnedIndexOffset(int frameLength) => (frameLength + 3) & ~3;

    // Kept out of the object's fields: a compact index starts with the line count and frame offset; with the full
    // format the count follows from the array's length and the frame starts the array.
    private int LineCount => Compact
        ? MemoryMarshal.Read<ushort>(_index.AsSpan(IndexOffset))
        : ((_data.Length - OwnedIndexOffset(_frameLength)) / (IsWide(_frameLength) ? sizeof(int) : sizeof(ushort)) - 2) / 4;

    private int Offset => Compact ? MemoryMarshal.Read<int>(_index.AsSpan(IndexOffset + sizeof(ushort))) : 0;

    private const int CompactHeaderBytes = sizeof(ushort) + sizeof(int);

    /// <summary>Number of header lines (including lines without a colon).</summary>
    public int Count => LineCount;

    /// <summary>Number of bytes this frame occupied on the wire, line ends and the terminating blank line included.</summary>
    public int ByteSize => _frameLength;

    // 0xFFFF is the 16-bit form of -1, so a 16-bit index needs every offset and length below it.
    private static bool IsWide(int frameLength) => frameLength >= ushort.MaxValue;

    /// <summary>
    /// True when this message references the array of the read it arrived in instead of owning a copy of its
    /// bytes (see <c>ami.connection.share-read-buffers</c>). Such a message keeps that whole read alive while it
    /// is reachable; <see cref="Detach"/> returns a copy that owns only its own bytes.
    /// </summary>
    public bool SharesReadBuffer => Shared;

    /// <summary>
    /// A message that owns a copy of its bytes: this instance when it already does, otherwise a new, equivalent
    /// message. Call it for a message you keep beyond handling it (in a cache, a collection, actor state) when
    /// <c>ami.connection.share-read-buffers</c> is on, so that it does not hold the read it arrived in.
    /// </summary>
    public AmiMessage Detach()
    {
        if (!Shared)
        {
            return this;
        }
        int count = LineCount;
        Span<int> lines = count <= 64 ? stackalloc int[count * 2] : new int[count * 2];
        for (int i = 0; i < count; i++)
        {
            // A line runs from its start (the name's) to the end of its value.
            NameRange(i, out int lineStart, out _);
            ValueRange(i, out int valueStart, out int valueLength);
            lines[i * 2] = lineStart;
            lines[i * 2 + 1] = valueStart + valueLength;
        }
        var copy = Build(Frame, lines, BodyStart, BodyLength, Kind == AmiMessageKind.Banner);
        copy._values = _values is null ? null : (string?[])_values.Clone();
        copy._names = _names is null ? null : (string?[])_names.Clone();
        return copy;
    }

    private ReadOnlySpan<byte> Frame => _data.AsSpan(Offset, _frameLength);

    private int Ix(int entry)
    {
        if (!Compact && IsWide(_frameLength))
        {
            return MemoryMarshal.Read<int>(_index.AsSpan(IndexOffset + entry * sizeof(int)));
        }
        int at = Compact ? IndexOffset + CompactHeaderBytes : IndexOffset;
        ushort value = MemoryMarshal.Read<ushort>(_index.AsSpan(at + entry * sizeof(ushort)));
        return value == ushort.MaxValue ? -1 : value;
    }

    private const int NoColon = 0x8000;

    private int CompactEntry(int i) => MemoryMarshal.Read<ushort>(_index.AsSpan(IndexOffset + CompactHeaderBytes + i * sizeof(ushort)));

    // A line starts after the last LF before its colon (names hold no LF).
    private static int LineStart(ReadOnlySpan<byte> frame, int colon) => frame[..colon].LastIndexOf((byte)'\n') + 1;

    // Content end (frame-relative) of the line holding anchor: its LF (the frame's end for a last line without one, as
    // FromFrame accepts), less one CR.
    private static int ContentEnd(ReadOnlySpan<byte> frame, int anchor)
    {
        int lf = frame[anchor..].IndexOf((byte)'\n');
        int end = lf < 0 ? frame.Length : anchor + lf;
        return end > anchor && frame[end - 1] == (byte)'\r' ? end - 1 : end;
    }

    // Line i's start (frame-relative, where its name starts) and its name's length, -1 for a line without a colon.
    private void NameRange(int i, out int start, out int length)
    {
        if (!Compact)
        {
            start = Ix(i * 4);
            length = Ix(i * 4 + 1);
            return;
        }
        int e = CompactEntry(i);
        if ((e & NoColon) != 0)
        {
            start = e & ~NoColon;
            length = -1;
            return;
        }
        start = LineStart(Frame, e);
        length = e - start;
    }

    private void ValueRange(int i, out int start, out int length)
    {
        if (!Compact)
        {
            start = Ix(i * 4 + 2);
            length = Ix(i * 4 + 3);
            return;
        }
        int e = CompactEntry(i);
        var frame = Frame;
        int end = ContentEnd(frame, e & ~NoColon);
        if ((e & NoColon) != 0)
        {
            start = e & ~NoColon;
        }
        else
        {
            start = e + 1;
            if (start < end && frame[start] == (byte)' ')
            {
                start++;
            }
        }
        length = end - start;
    }

    private int BodyStart => Compact ? Ix(LineCount) : Ix(LineCount * 4);

    private int BodyLength => Compact ? Ix(LineCount + 1) : Ix(LineCount * 4 + 1);

    /// <summary>The value of the first header named <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? this[string name] => Get(name);

    /// <summary>The value of the first header named <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Get(string name)
    {
        int i = IndexOf(name, 0);
        return i < 0 ? null : ValueAt(i);
    }

    /// <summary>Looks up the first header named <paramref name="name"/> (case-insensitive).</summary>
    public bool TryGet(string name, out string value)
    {
        int i = IndexOf(name, 0);
        value = i < 0 ? string.Empty : ValueAt(i);
        return i >= 0;
    }

    /// <summary>True when a header named <paramref name="name"/> is present (case-insensitive).</summary>
    public bool Contains(string name) => IndexOf(name, 0) >= 0;

    /// <summary>True when the first header named <paramref name="name"/> equals <paramref name="value"/> (both case-insensitive, ASCII), without creating a string.</summary>
    public bool HasValue(string name, string value)
    {
        int i = IndexOf(name, 0);
        return i >= 0 && System.Text.Ascii.EqualsIgnoreCase(ValueBytes(i), value);
    }

    /// <summary>All values of headers named <paramref name="name"/>, in order (case-insensitive). Empty when absent.</summary>
    public IReadOnlyList<string> GetAll(string name)
    {
        int i = IndexOf(name, 0);
        if (i < 0)
        {
            return Array.Empty<string>();
        }
        var list = new List<string>();
        while (i >= 0)
        {
            list.Add(ValueAt(i));
            i = IndexOf(name, i + 1);
        }
        return list;
    }

    /// <summary>The raw header list, in wire order, repeated keys and lines without a colon included.</summary>
    public IReadOnlyList<AmiHeader> Headers
    {
        get
        {
            var headers = new AmiHeader[LineCount];
            for (int i = 0; i < headers.Length; i++)
            {
                headers[i] = new AmiHeader(NameAt(i), ValueAt(i));
            }
            return headers;
        }
    }

    /// <summary>The name of header line <paramref name="index"/> (empty for a line without a colon).</summary>
    public string NameAt(int index)
    {
        CheckIndex(index);
        var names = _names ??= new string?[LineCount];
        return names[index] ??= CreateName(index);
    }

    /// <summary>The value of header line <paramref name="index"/> (the whole line for a line without a colon).</summary>
    public string ValueAt(int index)
    {
        CheckIndex(index);
        var values = _values ??= new string?[LineCount];
        return values[index] ??= Encoding.UTF8.GetString(ValueBytes(index));
    }

    /// <summary>The raw UTF-8 bytes of the name of header line <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> NameBytes(int index)
    {
        CheckIndex(index);
        if (Compact)
        {
            // The hot case, without NameRange's out parameters: a slice of the frame up to the colon.
            int colon = CompactEntry(index);
            if ((colon & NoColon) != 0)
            {
                return ReadOnlySpan<byte>.Empty;
            }
            var frame = Frame;
            return frame[LineStart(frame, colon)..colon];
        }
        NameRange(index, out int start, out int length); // the full format: the frame starts the array
        return length < 0 ? ReadOnlySpan<byte>.Empty : _data.AsSpan(start, length);
    }

    /// <summary>The raw UTF-8 bytes of the value of header line <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> ValueBytes(int index)
    {
        CheckIndex(index);
        ValueRange(index, out int start, out int length);
        return _data.AsSpan(Offset + start, length);
    }

    /// <summary>The index of the first header named <paramref name="name"/> at or after <paramref name="start"/>, or -1.</summary>
    public int IndexOf(string name, int start = 0)
    {
        if (Compact)
        {
            if (name.Contains('\n', StringComparison.Ordinal))
            {
                return -1; // no header name holds an LF (and a match must not span lines)
            }
            var frame = Frame;
            int count = LineCount;
            var entries = _index.AsSpan(IndexOffset + CompactHeaderBytes, count * sizeof(ushort));
            int length = name.Length;
            for (int i = start; i < count; i++)
            {
                int colon = MemoryMarshal.Read<ushort>(entries[(i * sizeof(ushort))..]);
                // The name must be the whole text between the line start and the colon: a byte decides most lines.
                if ((colon & NoColon) == 0 && colon >= length && (colon == length || frame[colon - length - 1] == (byte)'\n')
                    && System.Text.Ascii.EqualsIgnoreCase(frame.Slice(colon - length, length), name))
                {
                    return i;
                }
            }
            return -1;
        }
        for (int i = start, count = LineCount; i < count; i++)
        {
            NameRange(i, out int nameStart, out int len);
            if (len == name.Length && System.Text.Ascii.EqualsIgnoreCase(_data.AsSpan(nameStart, len), name))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The <c>ActionID</c> header, or null.</summary>
    public string? ActionId => Get("ActionID");

    /// <summary>The <c>Action</c> header (the action name of a client frame), or null.</summary>
    public string? ActionName => Get("Action");

    /// <summary>The <c>Event</c> header (the event name), or null.</summary>
    public string? EventName => Get("Event");

    /// <summary>The <c>Response</c> header (Success, Error, Goodbye, Follows), or null.</summary>
    public string? ResponseStatus => Get("Response");

    /// <summary>The <c>Message</c> header, or null.</summary>
    public string? ResponseMessage => Get("Message");

    /// <summary>True for a response whose status is <c>Success</c>.</summary>
    public bool IsSuccess => Kind == AmiMessageKind.Response && HasValue("Response", "Success");

    /// <summary>True for a response whose status is <c>Error</c>.</summary>
    public bool IsError => Kind == AmiMessageKind.Response && HasValue("Response", "Error");

    /// <summary>The <c>EventList</c> header (start, Complete, ...) or null.</summary>
    public string? EventList => Get("EventList");

    /// <summary>True when this frame starts a list (<c>EventList: start</c>, any case).</summary>
    public bool IsListStart => HasValue("EventList", "start");

    /// <summary>True when this frame ends a list (<c>EventList: Complete</c>, any case).</summary>
    public bool IsListComplete => HasValue("EventList", "Complete");

    /// <summary>The number of list items a list's Complete event reports (<c>ListItems</c>, or <c>Items</c> on old servers), or null.</summary>
    public int? ListItems
    {
        get
        {
            int i = IndexOf("ListItems");
            if (i < 0)
            {
                i = IndexOf("Items");
            }
            return i >= 0 && System.Buffers.Text.Utf8Parser.TryParse(ValueBytes(i), out int n, out int consumed) && consumed == ValueBytes(i).Length ? n : null;
        }
    }

    /// <summary>The version from the banner (<c>11.0.0</c> from <c>Asterisk Call Manager/11.0.0</c>); null for other kinds.</summary>
    public string? BannerVersion
    {
        get
        {
            if (Kind != AmiMessageKind.Banner || LineCount == 0)
            {
                return null;
            }
            string text = ValueAt(0);
            int slash = text.LastIndexOf('/');
            return slash >= 0 ? text[(slash + 1)..].Trim() : null;
        }
    }

    /// <summary>The banner line's text; null for other kinds.</summary>
    public string? BannerText => Kind == AmiMessageKind.Banner && LineCount > 0 ? ValueAt(0) : null;

    /// <summary>True for a legacy (Asterisk 13 and earlier) <c>Response: Follows</c> Command frame with a raw body.</summary>
    public bool HasLegacyBody => BodyLength >= 0;

    /// <summary>The raw body of a legacy <c>Response: Follows</c> Command frame (up to <c>--END COMMAND--</c>), or null.</summary>
    public string? LegacyBody
    {
        get
        {
            int len = BodyLength;
            return len < 0 ? null : Encoding.UTF8.GetString(_data, Offset + BodyStart, len);
        }
    }

    /// <summary>
    /// The output lines of a Command response, for both framings: the <c>Output:</c> headers (Asterisk 14+)
    /// or the lines of the legacy raw body (Asterisk 13 and earlier). Empty when there is no output.
    /// </summary>
    public IReadOnlyList<string> CommandOutput
    {
        get
        {
            string? body = LegacyBody;
            if (body is null)
            {
                return GetAll("Output");
            }
            if (body.Length == 0)
            {
                return Array.Empty<string>();
            }
            if (body.EndsWith('\n'))
            {
                body = body[..^1];
            }
            var lines = body.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].EndsWith('\r'))
                {
                    lines[i] = lines[i][..^1];
                }
            }
            return lines;
        }
    }

    /// <summary>
    /// Writes this message back in wire form (<c>Name: Value</c> lines, CRLF, blank line), as a server would send it.
    /// The banner is written as its single line without a blank line.
    /// </summary>
    public byte[] ToWireBytes()
    {
        using var ms = new MemoryStream(_frameLength + 32);
        for (int i = 0, count = LineCount; i < count; i++)
        {
            NameRange(i, out int nameStart, out int nameLen);
            if (nameLen >= 0)
            {
                ms.Write(_data, Offset + nameStart, nameLen);
                ms.Write(": "u8);
            }
            ms.Write(ValueBytes(i));
            ms.Write("\r\n"u8);
        }
        int bodyLen = BodyLength;
        if (bodyLen >= 0)
        {
            ms.Write(_data, Offset + BodyStart, bodyLen);
            ms.Write("--END COMMAND--\r\n"u8);
        }
        if (Kind != AmiMessageKind.Banner)
        {
            ms.Write("\r\n"u8);
        }
        return ms.ToArray();
    }

    /// <summary>Prints kind, name and size only: values may hold secrets and are never printed.</summary>
    public override string ToString()
    {
        string name = Kind switch
        {
            AmiMessageKind.Event => EventName ?? "?",
            AmiMessageKind.Response => ResponseStatus ?? "?",
            AmiMessageKind.Banner => BannerVersion ?? "?",
            AmiMessageKind.Action => ActionName ?? "?",
            _ => "-",
        };
        return $"AmiMessage({Kind} {name}, {LineCount} headers, {_frameLength} bytes)";
    }

    /// <summary>Creates a message from headers, as if it had been received (for servers, tests and tools).</summary>
    /// <exception cref="ArgumentException">A name or value contains CR or LF, or a name contains a colon.</exception>
    public static AmiMessage Create(IEnumerable<AmiHeader> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var bytes = new ArrayBufferWriterLite();
        foreach (var h in headers)
        {
            if (h.Name.AsSpan().IndexOfAny('\r', '\n', ':') >= 0 || h.Value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw new ArgumentException($"Header '{Sanitize(h.Name)}' contains CR, LF or a colon in its name, or CR/LF in its value.", nameof(headers));
            }
            if (h.Name.Length > 0)
            {
                bytes.WriteUtf8(h.Name);
                bytes.WriteUtf8(": ");
            }
            bytes.WriteUtf8(h.Value);
            bytes.WriteUtf8("\r\n");
        }
        return FromFrame(bytes.WrittenSpan);
    }

    /// <summary>Creates a message from <c>(name, value)</c> pairs, as if it had been received.</summary>
    public static AmiMessage Create(params (string Name, string Value)[] headers) =>
        Create(headers.Select(h => new AmiHeader(h.Name, h.Value)));

    /// <summary>Parses exactly one complete frame of header lines (CRLF or LF line ends, no trailing blank line needed).</summary>
    public static AmiMessage FromFrame(ReadOnlySpan<byte> frame)
    {
        var lines = new List<int>();
        int start = 0;
        while (start < frame.Length)
        {
            int lf = frame[start..].IndexOf((byte)'\n');
            int end = lf < 0 ? frame.Length : start + lf;
            int contentEnd = end > start && frame[end - 1] == (byte)'\r' ? end - 1 : end;
            if (contentEnd > start)
            {
                lines.Add(start);
                lines.Add(contentEnd);
            }
            start = end + 1;
        }
        return Build(frame, CollectionsMarshal.AsSpan(lines), -1, -1, banner: false);
    }

    internal static AmiMessage Build(ReadOnlySpan<byte> frame, ReadOnlySpan<int> lines, int bodyStart, int bodyLength, bool banner)
    {
        int lineCount = lines.Length / 2;
        int frameLength = frame.Length;
        if (!banner && FitsCompact(frameLength, lines))
        {
            // [frame][compact index]: one array, 2 bytes per line of index.
            var owned = GC.AllocateUninitializedArray<byte>(frameLength + CompactIndexBytes(lineCount));
            frame.CopyTo(owned);
            var compactKind = WriteCompactIndex(owned.AsSpan(frameLength), offset: 0, frame, lines, bodyStart, bodyLength);
            return new AmiMessage(owned, frameLength, owned, frameLength, compactKind);
        }
        int indexOffset = OwnedIndexOffset(frameLength);
        bool wide = IsWide(frameLength);
        var data = GC.AllocateUninitializedArray<byte>(indexOffset + (lineCount * 4 + 2) * (wide ? sizeof(int) : sizeof(ushort)));
        frame.CopyTo(data);
        var ix = new IndexWriter(data.AsSpan(indexOffset), wide);
        var kind = banner ? AmiMessageKind.Banner : AmiMessageKind.Unknown;
        for (int i = 0; i < lineCount; i++)
        {
            int ls = lines[i * 2];
            int le = lines[i * 2 + 1];
            var line = frame[ls..le];
            int colon = banner ? -1 : line.IndexOf((byte)':');
            int o = i * 4;
            if (colon < 0)
            {
                ix[o] = ls;
                ix[o + 1] = -1;
                ix[o + 2] = ls;
                ix[o + 3] = le - ls;
                continue;
            }
            int vs = colon + 1;
            if (vs < line.Length && line[vs] == (byte)' ')
            {
                vs++;
            }
            ix[o] = ls;
            ix[o + 1] = colon;
            ix[o + 2] = ls + vs;
            ix[o + 3] = line.Length - vs;
            kind = Classify(kind, line, colon);
        }
        ix[lineCount * 4] = bodyStart;
        ix[lineCount * 4 + 1] = bodyLength;
        return new AmiMessage(data, frameLength, indexOffset, lineCount, kind);
    }

    private static AmiMessageKind Classify(AmiMessageKind kind, ReadOnlySpan<byte> line, int colon)
    {
        if (kind != AmiMessageKind.Event)
        {
            if (colon == 5 && System.Text.Ascii.EqualsIgnoreCase(line[..5], "Event"u8))
            {
                kind = AmiMessageKind.Event;
            }
            else if (colon == 8 && kind != AmiMessageKind.Response && System.Text.Ascii.EqualsIgnoreCase(line[..8], "Response"u8))
            {
                kind = AmiMessageKind.Response;
            }
            else if (colon == 6 && kind == AmiMessageKind.Unknown && System.Text.Ascii.EqualsIgnoreCase(line[..6], "Action"u8))
            {
                kind = AmiMessageKind.Action;
            }
        }
        return kind;
    }

    /// <summary>
    /// Builds a message that references <paramref name="frameLength"/> bytes of <paramref name="array"/> at
    /// <paramref name="offset"/> (which its caller guarantees are never modified) with a compact index taken from
    /// <paramref name="slab"/>; null when the frame does not fit the compact index (the caller then copies it).
    /// <paramref name="lines"/> holds (start, content end) pairs relative to the frame, as for <see cref="Build"/>.
    /// </summary>
    internal static AmiMessage? BuildShared(byte[] array, int offset, int frameLength, ReadOnlySpan<int> lines, int bodyStart, int bodyLength, IndexSlab? slab)
    {
        if (!FitsCompact(frameLength, lines))
        {
            return null;
        }
        int bytes = CompactIndexBytes(lines.Length / 2);
        // Without a slab (bounded sharing) the index is an array of its own, so the message keeps nothing else alive.
        var (index, indexOffset) = slab is not null ? slab.Take(bytes) : (new byte[bytes], 0);
        var kind = WriteCompactIndex(index.AsSpan(indexOffset, bytes), offset, new ReadOnlySpan<byte>(array, offset, frameLength), lines, bodyStart, bodyLength);
        return new AmiMessage(array, frameLength, index, indexOffset, kind);
    }

    // The compact index needs every frame-relative position below NoColon, and the frame to start with a line.
    private static bool FitsCompact(int frameLength, ReadOnlySpan<int> lines) => frameLength < NoColon && lines.Length > 0 && lines[0] == 0;

    private static int CompactIndexBytes(int lineCount) => CompactHeaderBytes + (lineCount + 2) * sizeof(ushort);

    // Writes the compact index of a frame (its header, an entry per line, the legacy body) and returns the frame's kind.
    private static AmiMessageKind WriteCompactIndex(Span<byte> index, int offset, ReadOnlySpan<byte> frame, ReadOnlySpan<int> lines, int bodyStart, int bodyLength)
    {
        int lineCount = lines.Length / 2;
        MemoryMarshal.Write(index, (ushort)lineCount);
        MemoryMarshal.Write(index[sizeof(ushort)..], offset);
        var ix = new IndexWriter(index[CompactHeaderBytes..], wide: false);
        var kind = AmiMessageKind.Unknown;
        for (int i = 0; i < lineCount; i++)
        {
            int ls = lines[i * 2];
            var line = frame[ls..lines[i * 2 + 1]];
            int colon = line.IndexOf((byte)':');
            if (colon < 0)
            {
                ix[i] = ls | NoColon;
                continue;
            }
            ix[i] = ls + colon;
            kind = Classify(kind, line, colon);
        }
        ix[lineCount] = bodyStart;
        ix[lineCount + 1] = bodyLength;
        return kind;
    }

    private readonly ref struct IndexWriter(Span<byte> index, bool wide)
    {
        private readonly Span<byte> _index = index;

        public int this[int entry]
        {
            set
            {
                if (wide)
                {
                    MemoryMarshal.Write(_index[(entry * sizeof(int))..], in value);
                }
                else
                {
                    ushort narrow = value < 0 ? ushort.MaxValue : (ushort)value;
                    MemoryMarshal.Write(_index[(entry * sizeof(ushort))..], in narrow);
                }
            }
        }
    }

    private string CreateName(int index)
    {
        var bytes = NameBytes(index);
        return bytes.Length switch
        {
            0 => string.Empty,
            _ => Encoding.UTF8.GetString(bytes),
        };
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)LineCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }
    }

    private static string Sanitize(string name) => name.Replace("\r", "\\r").Replace("\n", "\\n");

    private sealed class ArrayBufferWriterLite
    {
        private byte[] _buffer = new byte[256];
        private int _length;

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

        public void WriteUtf8(string s)
        {
            int max = Encoding.UTF8.GetMaxByteCount(s.Length);
            if (_length + max > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + max));
            }
            _length += Encoding.UTF8.GetBytes(s, _buffer.AsSpan(_length));
        }
    }
}
