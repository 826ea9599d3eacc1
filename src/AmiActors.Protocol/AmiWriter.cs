using System.Buffers;
using System.Text;

namespace AmiActors.Protocol;

/// <summary>Why <see cref="AmiWriter"/> refused an action.</summary>
public enum AmiActionRejection
{
    /// <summary>The action name is empty or contains characters other than printable ASCII.</summary>
    InvalidActionName = 1,
    /// <summary>A header name is empty, or contains a colon, whitespace, control or non-ASCII characters.</summary>
    InvalidHeaderName = 2,
    /// <summary>A header value (or the action name or ActionID) contains CR or LF, which would inject headers.</summary>
    LineBreakInValue = 3,
    /// <summary>A header value contains a NUL byte, which the server would truncate at.</summary>
    NulInValue = 4,
    /// <summary>A line is longer than the server accepts (1022 bytes before CRLF).</summary>
    LineTooLong = 5,
    /// <summary>The action has more lines than the server accepts (128).</summary>
    TooManyLines = 6,
}

/// <summary>
/// Thrown when an action cannot be written safely. Names the header and the reason, never the value
/// (values may be secrets).
/// </summary>
public sealed class AmiActionValidationException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public AmiActionValidationException(string actionName, string headerName, AmiActionRejection reason, string detail)
        : base($"Action '{Printable(actionName)}' refused: {detail} (header '{Printable(headerName)}').")
    {
        ActionName = Printable(actionName);
        HeaderName = Printable(headerName);
        Reason = reason;
    }

    /// <summary>The action's name (escaped for printing).</summary>
    public string ActionName { get; }

    /// <summary>The offending header's name (escaped for printing; "Action" or "ActionID" for those lines).</summary>
    public string HeaderName { get; }

    /// <summary>Why the action was refused.</summary>
    public AmiActionRejection Reason { get; }

    internal static string Printable(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, 64));
        foreach (char c in s)
        {
            if (sb.Length >= 64)
            {
                sb.Append('…');
                break;
            }
            sb.Append(c switch { '\r' => "\\r", '\n' => "\\n", '\0' => "\\0", _ when char.IsControl(c) => "?", _ => c.ToString() });
        }
        return sb.ToString();
    }
}

/// <summary>Serializes actions to AMI wire bytes after checking them against what the server accepts.</summary>
public static class AmiWriter
{
    /// <summary>The longest line the server accepts, in bytes before CRLF (measured on Asterisk 22.10.1).</summary>
    public const int MaxLineBytes = 1022;

    /// <summary>The most lines one action may have, the <c>Action:</c> and <c>ActionID:</c> lines included.</summary>
    public const int MaxLines = 128;

    /// <summary>Checks an action without writing it; throws <see cref="AmiActionValidationException"/> when it would be refused.</summary>
    public static void Validate(AmiAction action, string? actionId = null) => Measure(action, actionId);

    /// <summary>Serializes an action (with an optional ActionID) to a new byte array. Nothing is produced for a refused action.</summary>
    /// <exception cref="AmiActionValidationException">The action cannot be written safely.</exception>
    public static byte[] Write(AmiAction action, string? actionId = null)
    {
        int size = Measure(action, actionId);
        var bytes = new byte[size];
        WriteValidated(action, actionId, bytes);
        return bytes;
    }

    /// <summary>Serializes an action to <paramref name="output"/>. Validates first: nothing is written for a refused action.</summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="AmiActionValidationException">The action cannot be written safely.</exception>
    public static int Write(AmiAction action, string? actionId, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int size = Measure(action, actionId);
        var span = output.GetSpan(size)[..size];
        WriteValidated(action, actionId, span);
        output.Advance(size);
        return size;
    }

    private static void WriteValidated(AmiAction action, string? actionId, Span<byte> dest)
    {
        int p = 0;
        p += Put("Action: ", dest[p..]);
        p += Put(action.Name, dest[p..]);
        p += Put("\r\n", dest[p..]);
        if (actionId is not null)
        {
            p += Put("ActionID: ", dest[p..]);
            p += Put(actionId, dest[p..]);
            p += Put("\r\n", dest[p..]);
        }
        foreach (var h in action.Headers)
        {
            if (actionId is not null && IsActionIdHeader(h.Name))
            {
                continue;
            }
            p += Put(h.Name, dest[p..]);
            p += Put(": ", dest[p..]);
            p += Put(h.Value, dest[p..]);
            p += Put("\r\n", dest[p..]);
        }
        Put("\r\n", dest[p..]);
    }

    private static int Put(string s, Span<byte> dest) => Encoding.UTF8.GetBytes(s, dest);

    private static bool IsActionIdHeader(string name) => string.Equals(name, "ActionID", StringComparison.OrdinalIgnoreCase);

    // Validates and returns the exact byte count.
    private static int Measure(AmiAction action, string? actionId)
    {
        ArgumentNullException.ThrowIfNull(action);
        string name = action.Name;
        if (name.Length == 0 || !IsToken(name, allowColon: true))
        {
            if (name.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw new AmiActionValidationException(name, "Action", AmiActionRejection.LineBreakInValue, "the action name contains CR or LF");
            }
            throw new AmiActionValidationException(name, "Action", AmiActionRejection.InvalidActionName, "the action name must be non-empty printable ASCII without spaces");
        }
        int total = CheckLine(action, "Action", name) + 2;
        int lines = 1;
        if (actionId is not null)
        {
            total += CheckLine(action, "ActionID", actionId) + 2;
            lines++;
        }
        foreach (var h in action.Headers)
        {
            if (actionId is not null && IsActionIdHeader(h.Name))
            {
                continue;
            }
            if (h.Name is null || h.Name.Length == 0 || !IsToken(h.Name, allowColon: false))
            {
                if (h.Name is not null && h.Name.AsSpan().IndexOfAny('\r', '\n') >= 0)
                {
                    throw new AmiActionValidationException(name, h.Name, AmiActionRejection.LineBreakInValue, "a header name contains CR or LF");
                }
                throw new AmiActionValidationException(name, h.Name ?? "", AmiActionRejection.InvalidHeaderName, "a header name must be non-empty printable ASCII without spaces or colons");
            }
            total += CheckLine(action, h.Name, h.Value ?? throw new AmiActionValidationException(name, h.Name, AmiActionRejection.InvalidHeaderName, "a header value is null")) + 2;
            if (++lines > MaxLines)
            {
                throw new AmiActionValidationException(name, h.Name, AmiActionRejection.TooManyLines, $"the action has more than {MaxLines} lines, the most the server accepts");
            }
        }
        return total + 2;
    }

    // Returns the byte length of "Name: Value" after checking the value.
    private static int CheckLine(AmiAction action, string headerName, string value)
    {
        int bad = value.AsSpan().IndexOfAny('\r', '\n', '\0');
        if (bad >= 0)
        {
            bool nul = value[bad] == '\0';
            throw new AmiActionValidationException(action.Name, headerName,
                nul ? AmiActionRejection.NulInValue : AmiActionRejection.LineBreakInValue,
                nul ? "a value contains a NUL character" : "a value contains CR or LF, which would inject headers");
        }
        int length = Encoding.UTF8.GetByteCount(headerName) + 2 + Encoding.UTF8.GetByteCount(value);
        if (length > MaxLineBytes)
        {
            throw new AmiActionValidationException(action.Name, headerName, AmiActionRejection.LineTooLong,
                $"a line of {length} bytes is longer than the {MaxLineBytes} bytes the server accepts");
        }
        return length;
    }

    private static bool IsToken(string s, bool allowColon)
    {
        foreach (char c in s)
        {
            if (c <= ' ' || c >= 0x7F || (!allowColon && c == ':'))
            {
                return false;
            }
        }
        return true;
    }
}
