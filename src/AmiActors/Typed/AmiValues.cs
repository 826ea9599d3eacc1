using System.Buffers.Text;
using System.Globalization;
using System.Text;
using AmiActors.Protocol;

namespace AmiActors.Typed;

/// <summary>Soft value conversion for typed events and header assembly for typed actions (used by the generated code).</summary>
internal static class AmiValues
{
    /// <summary>The first header <paramref name="name"/> as an int; null when absent or not a number. Never throws, never allocates.</summary>
    public static int? GetInt32(AmiMessage message, string name)
    {
        int i = message.IndexOf(name);
        if (i < 0)
        {
            return null;
        }
        var v = Trim(message.ValueBytes(i));
        return v.Length > 0 && Utf8Parser.TryParse(v, out int n, out int consumed) && consumed == v.Length ? n : null;
    }

    /// <summary>The first header <paramref name="name"/> as a long; null when absent or not a number.</summary>
    public static long? GetInt64(AmiMessage message, string name)
    {
        int i = message.IndexOf(name);
        if (i < 0)
        {
            return null;
        }
        var v = Trim(message.ValueBytes(i));
        return v.Length > 0 && Utf8Parser.TryParse(v, out long n, out int consumed) && consumed == v.Length ? n : null;
    }

    /// <summary>
    /// The first header <paramref name="name"/> as a boolean, with the words Asterisk itself accepts (ast_true/ast_false:
    /// yes/no, true/false, y/n, t/f, 1/0, on/off) plus enabled/disabled; null when absent or anything else.
    /// </summary>
    public static bool? GetBoolean(AmiMessage message, string name)
    {
        int i = message.IndexOf(name);
        if (i < 0)
        {
            return null;
        }
        var v = Trim(message.ValueBytes(i));
        if (Ascii.EqualsIgnoreCase(v, "yes"u8) || Ascii.EqualsIgnoreCase(v, "true"u8) || Ascii.EqualsIgnoreCase(v, "y"u8)
            || Ascii.EqualsIgnoreCase(v, "t"u8) || v.SequenceEqual("1"u8) || Ascii.EqualsIgnoreCase(v, "on"u8) || Ascii.EqualsIgnoreCase(v, "enabled"u8))
        {
            return true;
        }
        if (Ascii.EqualsIgnoreCase(v, "no"u8) || Ascii.EqualsIgnoreCase(v, "false"u8) || Ascii.EqualsIgnoreCase(v, "n"u8)
            || Ascii.EqualsIgnoreCase(v, "f"u8) || v.SequenceEqual("0"u8) || Ascii.EqualsIgnoreCase(v, "off"u8) || Ascii.EqualsIgnoreCase(v, "disabled"u8))
        {
            return false;
        }
        return null;
    }

    /// <summary>
    /// A duration as the whole milliseconds the server reads (rounded up, so a positive duration never becomes 0, which
    /// some actions read as "no timeout").
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or more than <see cref="int.MaxValue"/> milliseconds (Asterisk reads an int).</exception>
    public static string Milliseconds(TimeSpan value, string headerName)
    {
        if (value < TimeSpan.Zero || value > TimeSpan.FromMilliseconds(int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(headerName, value, $"The {headerName} duration must be between 0 and {int.MaxValue} ms.");
        }
        long ms = (value.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        return ms.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Appends the caller's extra headers after the documented ones.</summary>
    public static void AddExtraHeaders(List<AmiHeader> headers, IReadOnlyList<AmiHeader>? extra)
    {
        if (extra is not null)
        {
            headers.AddRange(extra);
        }
    }

    /// <summary>Prints the names (never the values) of the extra headers.</summary>
    public static void PrintExtraHeaderNames(StringBuilder builder, int start, IReadOnlyList<AmiHeader>? extra)
    {
        if (extra is null || extra.Count == 0)
        {
            return;
        }
        builder.Append(builder.Length > start ? ", " : "").Append("ExtraHeaders = [");
        for (int i = 0; i < extra.Count; i++)
        {
            builder.Append(i == 0 ? "" : ", ").Append(extra[i].Name);
        }
        builder.Append(']');
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> v) => v.Trim((byte)' ');
}
