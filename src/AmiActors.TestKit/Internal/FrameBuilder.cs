using System.Buffers;
using System.Text;

namespace AmiActors.TestKit.Internal;

/// <summary>Builds one server frame in wire form (<c>Name: Value</c> CRLF lines, then the blank line).</summary>
internal sealed class FrameBuilder
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public FrameBuilder Add(string name, string? value)
    {
        Write(name);
        Write(": ");
        Write(value ?? "");
        Write("\r\n");
        return this;
    }

    /// <summary>Adds the header only when the value is not empty (how Asterisk writes ActionID).</summary>
    public FrameBuilder AddIfNotEmpty(string name, string? value) => string.IsNullOrEmpty(value) ? this : Add(name, value);

    public FrameBuilder AddLine(ReadOnlySpan<byte> rawLine)
    {
        _buffer.Write(rawLine);
        _buffer.Write("\r\n"u8);
        return this;
    }

    public FrameBuilder Raw(string text)
    {
        Write(text);
        return this;
    }

    /// <summary>Ends the frame with the blank line and returns its bytes.</summary>
    public byte[] End()
    {
        _buffer.Write("\r\n"u8);
        return _buffer.WrittenSpan.ToArray();
    }

    /// <summary>The bytes so far, without a closing blank line.</summary>
    public byte[] ToArrayWithoutEnd() => _buffer.WrittenSpan.ToArray();

    private void Write(string s)
    {
        var span = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length));
        _buffer.Advance(Encoding.UTF8.GetBytes(s, span));
    }

    public static byte[] Response(string status, string? actionId, string? message)
    {
        var b = new FrameBuilder().Add("Response", status).AddIfNotEmpty("ActionID", actionId);
        if (message is not null)
        {
            b.Add("Message", message);
        }
        return b.End();
    }
}
