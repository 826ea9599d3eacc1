using System.Text;
using AmiActors.Protocol;

namespace AmiActors.Protocol.Tests;

/// <summary>Locates the captured fixtures and feeds bytes to parsers in chosen chunkings.</summary>
internal static class Fixtures
{
    public static string Directory => AmiActors.Testing.CapturedFixtures.Directory;

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    /// <summary>Every capture file, both directions (sent files are client actions without a banner).</summary>
    public static IEnumerable<object[]> AllFiles() =>
        System.IO.Directory.GetFiles(Directory, "*.txt").Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(n => new object[] { n! });

    public static AmiParserOptions OptionsFor(string name) => new() { ExpectBanner = name.EndsWith(".recv.txt", StringComparison.Ordinal) };

}

/// <summary>What a parser produced from a whole stream.</summary>
internal sealed record ParseResult(List<AmiMessage> Messages, List<AmiProtocolError> Errors, AmiProtocolError? Completion, int MaxBuffered);

internal static class Feed
{
    /// <summary>Feeds <paramref name="bytes"/> cut at the given sizes (cycled), then completes the stream.</summary>
    public static ParseResult InChunks(byte[] bytes, AmiParserOptions options, IEnumerable<int> chunkSizes)
    {
        var parser = new AmiParser(options);
        var messages = new List<AmiMessage>();
        var errors = new List<AmiProtocolError>();
        int maxBuffered = 0;
        int offset = 0;
        using var sizes = chunkSizes.GetEnumerator();
        while (offset < bytes.Length)
        {
            int size = sizes.MoveNext() ? Math.Max(1, sizes.Current) : bytes.Length - offset;
            size = Math.Min(size, bytes.Length - offset);
            Drain(parser, bytes.AsSpan(offset, size), messages, errors);
            maxBuffered = Math.Max(maxBuffered, parser.BufferedBytes);
            offset += size;
        }
        return new ParseResult(messages, errors, parser.Complete(), maxBuffered);
    }

    public static ParseResult Whole(byte[] bytes, AmiParserOptions options) => InChunks(bytes, options, [bytes.Length]);

    public static ParseResult SplitAt(byte[] bytes, AmiParserOptions options, int cut) => InChunks(bytes, options, [cut, bytes.Length]);

    public static ParseResult ByteByByte(byte[] bytes, AmiParserOptions options) => InChunks(bytes, options, Enumerable.Repeat(1, bytes.Length));

    public static IEnumerable<int> RandomSizes(int seed, int max)
    {
        var random = new Random(seed);
        while (true)
        {
            yield return random.Next(1, max + 1);
        }
    }

    public static void Drain(AmiParser parser, ReadOnlySpan<byte> input, List<AmiMessage> messages, List<AmiProtocolError> errors)
    {
        while (true)
        {
            switch (parser.Read(ref input, out var message, out var error))
            {
                case AmiReadStatus.NeedMoreData:
                    return;
                case AmiReadStatus.Message:
                    messages.Add(message!);
                    break;
                case AmiReadStatus.Error:
                    errors.Add(error);
                    break;
            }
        }
    }

    /// <summary>
    /// Asserts that two parses produced the same messages (kind, every name and value byte, legacy body), comparing
    /// bytes without creating strings; on a mismatch the readable descriptions are compared for the failure message.
    /// </summary>
    public static void AssertSame(List<AmiMessage> expected, List<AmiMessage> actual, string context = "")
    {
        bool same = expected.Count == actual.Count;
        for (int i = 0; same && i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            same = e.Kind == a.Kind && e.Count == a.Count && e.HasLegacyBody == a.HasLegacyBody;
            for (int h = 0; same && h < e.Count; h++)
            {
                same = e.NameBytes(h).SequenceEqual(a.NameBytes(h)) && e.ValueBytes(h).SequenceEqual(a.ValueBytes(h))
                    && (e.NameBytes(h).Length > 0 || e.NameAt(h).Length == a.NameAt(h).Length);
            }
            same = same && e.LegacyBody == a.LegacyBody;
        }
        if (!same)
        {
            Assert.Equal(Describe(expected), Describe(actual));
            Assert.Fail($"messages differ {context}");
        }
    }

    /// <summary>A full, printable description of a message (kind, every header in order, legacy body) for comparisons.</summary>
    public static string Describe(AmiMessage m)
    {
        var sb = new StringBuilder().Append(m.Kind).Append('\n');
        for (int i = 0; i < m.Count; i++)
        {
            sb.Append(m.NameAt(i)).Append('=').Append(m.ValueAt(i)).Append('\n');
        }
        if (m.LegacyBody is { } body)
        {
            sb.Append("<body>").Append(body).Append("</body>");
        }
        return sb.ToString();
    }

    public static List<string> Describe(IEnumerable<AmiMessage> messages) => messages.Select(Describe).ToList();
}

/// <summary>
/// An independent, deliberately simple (string-based) reading of a capture, used as an oracle for the parser:
/// lines split at LF with one trailing CR dropped, frames split at empty lines, a header split at its first colon
/// with one following space dropped.
/// </summary>
internal static class ReferenceReader
{
    public static List<List<(string Name, string Value)>> Frames(byte[] bytes, bool banner)
    {
        string text = Encoding.UTF8.GetString(bytes);
        var lines = text.Split('\n').Select(l => l.EndsWith('\r') ? l[..^1] : l).ToList();
        if (!text.EndsWith('\n'))
        {
            throw new InvalidOperationException("fixtures end with a line end");
        }
        lines.RemoveAt(lines.Count - 1);
        var frames = new List<List<(string, string)>>();
        int i = 0;
        if (banner)
        {
            frames.Add([("", lines[0])]);
            i = 1;
        }
        var current = new List<(string, string)>();
        for (; i < lines.Count; i++)
        {
            string line = lines[i];
            if (line.Length == 0)
            {
                if (current.Count > 0)
                {
                    frames.Add(current);
                    current = [];
                }
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon < 0)
            {
                current.Add(("", line));
                continue;
            }
            string value = line[(colon + 1)..];
            current.Add((line[..colon], value.StartsWith(' ') ? value[1..] : value));
        }
        if (current.Count > 0)
        {
            throw new InvalidOperationException("fixtures end with a blank line");
        }
        return frames;
    }
}
