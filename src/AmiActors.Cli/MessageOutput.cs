using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AmiActors.Protocol;

namespace AmiActors.Cli;

/// <summary>Prints AMI messages as text (the wire form, readable) or as one JSON object per line.</summary>
internal static class MessageOutput
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        // Keep UTF-8 caller names readable; the output is a line-oriented log, not HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>"event", "response", "banner", "action" or "unknown".</summary>
    public static string KindName(AmiMessageKind kind) => kind switch
    {
        AmiMessageKind.Event => "event",
        AmiMessageKind.Response => "response",
        AmiMessageKind.Banner => "banner",
        AmiMessageKind.Action => "action",
        _ => "unknown",
    };

    /// <summary>The event name, response status, banner version or action name.</summary>
    public static string? NameOf(AmiMessage m) => m.Kind switch
    {
        AmiMessageKind.Event => m.EventName,
        AmiMessageKind.Response => m.ResponseStatus,
        AmiMessageKind.Banner => m.BannerText,
        AmiMessageKind.Action => m.ActionName,
        _ => null,
    };

    /// <summary><c>{"kind":...,"name":...,"headers":[["Key","Value"],...]}</c> (plus <c>"server"</c> when given, <c>"body"</c> for legacy Command output).</summary>
    public static string ToJson(AmiMessage m, string? serverId = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("kind", KindName(m.Kind));
            if (serverId is not null)
            {
                w.WriteString("server", serverId);
            }
            if (NameOf(m) is { } name)
            {
                w.WriteString("name", name);
            }
            else
            {
                w.WriteNull("name");
            }
            w.WriteStartArray("headers");
            if (m.Kind != AmiMessageKind.Banner)
            {
                for (int i = 0; i < m.Count; i++)
                {
                    w.WriteStartArray();
                    w.WriteStringValue(m.NameAt(i));
                    w.WriteStringValue(m.ValueAt(i));
                    w.WriteEndArray();
                }
            }
            w.WriteEndArray();
            if (m.LegacyBody is { } body)
            {
                w.WriteString("body", body);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The message as on the wire: header lines and an empty line (the banner as its single line).</summary>
    public static void WriteText(TextWriter output, AmiMessage m)
    {
        if (m.Kind == AmiMessageKind.Banner)
        {
            output.WriteLine(m.BannerText);
            return;
        }
        for (int i = 0; i < m.Count; i++)
        {
            string key = m.NameAt(i);
            output.WriteLine(key.Length == 0 ? m.ValueAt(i) : $"{key}: {m.ValueAt(i)}");
        }
        if (m.LegacyBody is { } body)
        {
            output.WriteLine(body.TrimEnd('\n'));
            output.WriteLine("--END COMMAND--");
        }
        output.WriteLine();
    }

    /// <summary>Writes in the chosen format.</summary>
    public static void Write(TextWriter output, AmiMessage m, bool json, string? serverId = null)
    {
        if (json)
        {
            output.WriteLine(ToJson(m, serverId));
        }
        else
        {
            WriteText(output, m);
        }
    }
}
