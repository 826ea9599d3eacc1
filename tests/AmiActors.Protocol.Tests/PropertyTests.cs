using System.Text;
using AmiActors.Protocol;
using CsCheck;

namespace AmiActors.Protocol.Tests;

public class PropertyTests
{
    private static readonly AmiParserOptions NoBanner = new() { ExpectBanner = false };

    // Header names: what the server accepts and what real events use, including -, (, ), /.
    private static readonly Gen<string> GenName =
        Gen.OneOf(
            Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-()/_.@"].Array[1, 24].Select(a => new string(a)),
            Gen.OneOf(Gen.Const("Variable"), Gen.Const("ChanVariable(PJSIP/100-00000001)"), Gen.Const("Cause-txt"), Gen.Const("Output"), Gen.Const("Response"), Gen.Const("Event")));

    // Values: printable ASCII (colons and leading/trailing spaces included), any BMP text without surrogates, line
    // breaks or NUL, and astral characters.
    private static readonly Gen<string> GenValue =
        Gen.OneOf(
            Gen.Char[' ', '~'].Array[0, 60].Select(a => new string(a)),
            Gen.Char['\u0001', '\uD7FF'].Array[0, 40].Select(a => new string(a.Where(c => c is not ('\r' or '\n')).ToArray())),
            Gen.Int[0x10000, 0x10FFFF].Array[0, 8].Select(cps => string.Concat(cps.Select(char.ConvertFromUtf32))),
            Gen.OneOf(Gen.Const("Jürgen Ñandú"), Gen.Const("Zoë \\\"quoted\\\" 名前"), Gen.Const(""), Gen.Const(" "), Gen.Const("a: b: c")));

    private static readonly Gen<AmiAction> GenAction =
        Gen.Select(
            Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"].Array[1, 20].Select(a => new string(a)),
            Gen.Select(GenName, GenValue).Array[0, 40],
            (name, headers) => new AmiAction(name, headers.Where(h => !h.Item1.Equals("ActionID", StringComparison.OrdinalIgnoreCase)).Select(h => new AmiHeader(h.Item1, h.Item2))));

    [Fact]
    public void Whatever_the_writer_writes_the_parser_reads_back_exactly()
    {
        Gen.Select(GenAction, Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"].Array[0, 16].Select(a => new string(a)), Gen.Int[1, 64])
            .Sample((action, actionId, chunk) =>
            {
                byte[] bytes = AmiWriter.Write(action, actionId);
                var result = Feed.InChunks(bytes, NoBanner, Enumerable.Repeat(chunk, bytes.Length));
                var m = Assert.Single(result.Messages);
                Assert.Empty(result.Errors);
                Assert.Null(result.Completion);
                // Event is decided before Response, Response before Action, whatever the order of the lines.
                var expectedKind = action.Get("Event") is not null ? AmiMessageKind.Event : action.Get("Response") is not null ? AmiMessageKind.Response : AmiMessageKind.Action;
                Assert.Equal(expectedKind, m.Kind);
                Assert.Equal(action.Name, m.ActionName);
                Assert.Equal(actionId, m.ActionId);
                Assert.Equal(action.Headers.Count + 2, m.Count);
                for (int i = 0; i < action.Headers.Count; i++)
                {
                    Assert.Equal(action.Headers[i].Name, m.NameAt(i + 2));
                    Assert.Equal(action.Headers[i].Value, m.ValueAt(i + 2));
                }
                foreach (var group in action.Headers.GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase))
                {
                    if (!group.Key.Equals("Action", StringComparison.OrdinalIgnoreCase))
                    {
                        Assert.Equal(group.Select(h => h.Value), m.GetAll(group.Key.ToUpperInvariant()));
                        Assert.Equal(group.First().Value, m[group.Key.ToLowerInvariant()]);
                    }
                }
                Assert.Equal(bytes, m.ToWireBytes());
            }, iter: 3000);
    }

    [Fact]
    public void The_writer_refuses_a_value_exactly_when_it_holds_CR_LF_or_NUL()
    {
        Gen.Select(Gen.Char['\0', '\u00ff'].Array[0, 30].Select(a => new string(a)), GenName)
            .Sample((value, name) =>
            {
                var action = new AmiAction("UserEvent", (name, value));
                bool bad = value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0;
                if (bad)
                {
                    var ex = Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(action, "p"));
                    Assert.True(ex.Reason is AmiActionRejection.LineBreakInValue or AmiActionRejection.NulInValue);
                }
                else
                {
                    Assert.Equal(value, AmiStreamDecoder.Decode(AmiWriter.Write(action, "p"), NoBanner)[0][name]);
                }
            }, iter: 3000);
    }

    // Building blocks of hostile, AMI-like streams.
    private static readonly string[] Tokens =
    [
        "\r\n", "\n", "\r", "\r\n\r\n", "\n\n", ":", ": ", " ", "a", "Z9", "Event", "Response", "Event: X\r\n", "Response: Success\r\n",
        "Response: Follows\r\n", "Privilege: Command\r\n", "ActionID: a1\r\n", "--END COMMAND--", "--END", " COMMAND--\r\n",
        "é", "名", "\0", "\u00ff", "Asterisk Call Manager/11.0.0\r\n",
    ];

    private static readonly Gen<byte[]> GenStream =
        Gen.Int[0, Tokens.Length - 1].Array[0, 80].Select(ix =>
        {
            var bytes = new List<byte>();
            foreach (int i in ix)
            {
                bytes.AddRange(Tokens[i] == "\u00ff" ? [0xFF] : Encoding.UTF8.GetBytes(Tokens[i]));
            }
            return bytes.ToArray();
        });

    [Fact]
    public void Any_stream_gives_the_same_messages_and_errors_however_it_is_chunked()
    {
        Gen.Select(GenStream, Gen.Int[1, 16].Array[1, 12], Gen.Bool)
            .Sample((bytes, chunks, banner) =>
            {
                var options = new AmiParserOptions { ExpectBanner = banner };
                var whole = Feed.Whole(bytes, options);
                var split = Feed.InChunks(bytes, options, Cycle(chunks));
                var single = Feed.ByteByByte(bytes, options);
                Assert.Equal(Feed.Describe(whole.Messages), Feed.Describe(split.Messages));
                Assert.Equal(Feed.Describe(whole.Messages), Feed.Describe(single.Messages));
                Assert.Equal(whole.Completion?.Code, split.Completion?.Code);
                Assert.Equal(whole.Completion?.Code, single.Completion?.Code);
                Assert.Empty(whole.Errors);
            }, iter: 3000);
    }

    [Fact]
    public void Any_stream_with_a_small_frame_limit_never_throws_and_keeps_the_buffer_bounded()
    {
        Gen.Select(GenStream, Gen.Int[1, 40].Array[1, 12], Gen.Int[64, 200])
            .Sample((bytes, chunks, max) =>
            {
                var options = new AmiParserOptions { ExpectBanner = false, MaxFrameSize = max };
                var result = Feed.InChunks(bytes, options, Cycle(chunks));
                Assert.True(result.MaxBuffered <= max + 8192, $"buffered {result.MaxBuffered}");
                Assert.All(result.Errors, e => Assert.Equal(AmiProtocolErrorCode.FrameTooLarge, e.Code));
                Assert.All(result.Messages, m => Assert.True(m.ByteSize <= max, $"a {m.ByteSize}-byte message passed a {max}-byte limit"));
            }, iter: 3000);
    }

    private static IEnumerable<int> Cycle(int[] sizes)
    {
        while (true)
        {
            foreach (int s in sizes)
            {
                yield return s;
            }
        }
    }
}
