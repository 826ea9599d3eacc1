namespace AmiActors.TestKit.Internal;

/// <summary>
/// Splits client input into lines exactly as Asterisk's manager.c <c>get_input</c> does: at most 1024 bytes are
/// buffered, lines end at CRLF or a bare LF, and a full buffer without a line end is discarded (keeping its last
/// byte in case it is the CR of a CRLF) and flagged as "line too long". That reproduces the server's answers
/// to over-long lines byte for byte, which a frame parser cannot.
/// </summary>
/// <remarks>
/// Unlike manager.c, consumed lines are not moved out of the buffer one by one: a window [start, end) slides over
/// a larger array and is compacted only when the array runs out, so each byte is copied about once.
/// </remarks>
internal sealed class AsteriskLineReader
{
    /// <summary>sizeof(inbuf) - 1 in manager.c.</summary>
    public const int MaxLength = 1024;

    private readonly byte[] _buffer = new byte[MaxLength * 8];
    private int _start;
    private int _end;

    /// <summary>Set when a line was discarded for being too long; cleared by the caller after it reported the error.</summary>
    public bool LineTooLong { get; set; }

    /// <summary>Takes the next complete line (without its line end), or returns false when more input is needed.</summary>
    /// <remarks>The span is valid until the next <see cref="Fill"/>.</remarks>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        var window = _buffer.AsSpan(_start, _end - _start);
        int lf = window.IndexOf((byte)'\n');
        if (lf >= 0)
        {
            int length = lf > 0 && window[lf - 1] == (byte)'\r' ? lf - 1 : lf;
            line = window[..length];
            _start += lf + 1;
            return true;
        }
        if (window.Length >= MaxLength)
        {
            _buffer[0] = window[^1];
            _start = 0;
            _end = 1;
            LineTooLong = true;
        }
        line = default;
        return false;
    }

    /// <summary>Takes as much of <paramref name="input"/> as the 1024-byte window allows; returns the number of bytes taken.</summary>
    public int Fill(ReadOnlySpan<byte> input)
    {
        int length = _end - _start;
        int n = Math.Min(input.Length, MaxLength - length);
        if (_end + n > _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, length);
            _start = 0;
            _end = length;
        }
        input[..n].CopyTo(_buffer.AsSpan(_end));
        _end += n;
        return n;
    }
}
