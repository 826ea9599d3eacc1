namespace AmiActors.TestKit.Internal;

/// <summary>
/// Splits client input into lines exactly as Asterisk's manager.c <c>get_input</c> does: a 1024-byte buffer,
/// lines end at CRLF or a bare LF, and a buffer full of a line without its end is discarded (keeping its last
/// byte in case it is the CR of a CRLF) and flagged as "line too long". That reproduces the server's answers
/// to over-long lines byte for byte, which a frame parser cannot.
/// </summary>
internal sealed class AsteriskLineReader
{
    /// <summary>sizeof(inbuf) - 1 in manager.c.</summary>
    public const int MaxLength = 1024;

    private readonly byte[] _buffer = new byte[MaxLength + 1];
    private int _length;

    /// <summary>Set when a line was discarded for being too long; cleared by the caller after it reported the error.</summary>
    public bool LineTooLong { get; set; }

    /// <summary>Room left for <see cref="Fill"/>.</summary>
    public int Space => MaxLength - _length;

    /// <summary>Takes the next complete line (without its line end), or returns false when more input is needed.</summary>
    public bool TryReadLine(out byte[] line)
    {
        int lf = _buffer.AsSpan(0, _length).IndexOf((byte)'\n');
        if (lf >= 0)
        {
            int end = lf > 0 && _buffer[lf - 1] == (byte)'\r' ? lf - 1 : lf;
            line = _buffer.AsSpan(0, end).ToArray();
            int used = lf + 1;
            _length -= used;
            Buffer.BlockCopy(_buffer, used, _buffer, 0, _length);
            return true;
        }
        if (_length >= MaxLength)
        {
            _buffer[0] = _buffer[_length - 1];
            _length = 1;
            LineTooLong = true;
        }
        line = [];
        return false;
    }

    /// <summary>Copies as much of <paramref name="input"/> as fits; returns the number of bytes taken.</summary>
    public int Fill(ReadOnlySpan<byte> input)
    {
        int n = Math.Min(input.Length, MaxLength - _length);
        input[..n].CopyTo(_buffer.AsSpan(_length));
        _length += n;
        return n;
    }
}
