using System.Buffers;
using System.Text;
using AmiActors.Protocol;

namespace AmiActors.Protocol.Tests;

public class WriterTests
{
    private const string SecretValue = "s3cr3t-Value-42";

    private static List<AmiMessage> Actions(string name) => AmiStreamDecoder.Decode(Fixtures.Bytes(name), new AmiParserOptions { ExpectBanner = false });

    /// <summary>Rebuilds the action a capture's frame came from; the ActionID is passed separately when it is the second line.</summary>
    private static (AmiAction Action, string? ActionId) ToAction(AmiMessage m)
    {
        bool idSecond = m.Count > 1 && m.NameAt(1).Equals("ActionID", StringComparison.OrdinalIgnoreCase);
        var headers = m.Headers.Skip(idSecond ? 2 : 1);
        return (new AmiAction(m.ActionName!, headers), idSecond ? m.ValueAt(1) : null);
    }

    public static IEnumerable<object[]> SentFiles() => Fixtures.AllFiles().Where(f => ((string)f[0]).EndsWith(".sent.txt", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(SentFiles))]
    public void The_writer_reproduces_every_captured_client_action_byte_for_byte_or_refuses_the_ones_the_server_refused(string name)
    {
        var written = new List<byte>();
        foreach (var m in Actions(name))
        {
            var (action, id) = ToAction(m);
            if (id is "long-1023" or "many-129")
            {
                var ex = Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(action, id));
                Assert.Equal(id == "long-1023" ? AmiActionRejection.LineTooLong : AmiActionRejection.TooManyLines, ex.Reason);
                written.AddRange(m.ToWireBytes());
                continue;
            }
            written.AddRange(AmiWriter.Write(action, id));
        }
        Assert.Equal(Fixtures.Bytes(name), written.ToArray());
    }

    [Fact]
    public void A_line_of_1022_bytes_is_written_and_the_1023_byte_line_from_the_capture_is_refused()
    {
        var big = Actions("long-header-1023.sent.txt").Single(m => m.ActionId == "long-1023");
        string value = big["Big"]!;
        Assert.Equal(1023, "Big: ".Length + value.Length);
        var refused = new AmiAction("UserEvent", ("UserEvent", "Long"), ("Big", value));
        var ex = Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(refused, "long-1023"));
        Assert.Equal("Big", ex.HeaderName);
        Assert.Contains("1023", ex.Message);

        var accepted = new AmiAction("UserEvent", ("UserEvent", "Long"), ("Big", value[1..]));
        byte[] bytes = AmiWriter.Write(accepted, "long-1022");
        string text = Encoding.ASCII.GetString(bytes);
        Assert.Contains("\r\nBig: " + value[1..] + "\r\n", text);
        Assert.Equal(1022, text.Split("\r\n").Max(l => l.Length));
    }

    [Theory]
    [InlineData("Action")]
    [InlineData("ActionID")]
    [InlineData("Header")]
    public void The_line_limit_counts_utf8_bytes_on_every_line_including_the_action_and_actionid_lines(string line)
    {
        // 'é' is two bytes: a value of 509 of them plus "Name: " crosses 1022 bytes with far fewer than 1022 chars.
        string Fill(string prefix, int bytes) => bytes % 2 == 0 ? new string('é', bytes / 2) : "x" + new string('é', bytes / 2);
        foreach (int total in new[] { 1022, 1023 })
        {
            AmiAction action;
            string? id = "id";
            switch (line)
            {
                case "Action":
                    action = new AmiAction(new string('A', total - "Action: ".Length));
                    break;
                case "ActionID":
                    action = new AmiAction("Ping");
                    id = Fill("ActionID: ", total - "ActionID: ".Length);
                    break;
                default:
                    action = new AmiAction("UserEvent", ("Header", Fill("Header: ", total - "Header: ".Length)));
                    break;
            }
            if (total == 1022)
            {
                byte[] bytes = AmiWriter.Write(action, id);
                Assert.Equal(1022, Encoding.UTF8.GetString(bytes).Split("\r\n").Max(l => Encoding.UTF8.GetByteCount(l)));
            }
            else
            {
                var ex = Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(action, id));
                Assert.Equal(AmiActionRejection.LineTooLong, ex.Reason);
                Assert.Equal(line, ex.HeaderName);
            }
        }
    }

    [Fact]
    public void The_129_line_action_from_the_capture_is_refused_and_128_lines_are_written()
    {
        var many = Actions("many-headers-129.sent.txt").Single(m => m.ActionId == "many-129");
        Assert.Equal(129, many.Count);
        var (action, id) = ToAction(many);
        var ex = Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(action, id));
        Assert.Equal(AmiActionRejection.TooManyLines, ex.Reason);
        Assert.Equal("H125", ex.HeaderName);

        var fewer = new AmiAction(action.Name, action.Headers.Take(action.Headers.Count - 1));
        byte[] bytes = AmiWriter.Write(fewer, id);
        Assert.Equal(128, Encoding.ASCII.GetString(bytes).Split("\r\n").Count(l => l.Length > 0));
    }

    [Fact]
    public void Without_an_actionid_the_action_line_and_127_headers_make_the_128_line_limit()
    {
        var headers = Enumerable.Range(0, 127).Select(i => new AmiHeader($"H{i}", "v")).ToList();
        Assert.NotEmpty(AmiWriter.Write(new AmiAction("UserEvent", headers)));
        headers.Add(new AmiHeader("H127", "v"));
        Assert.Equal(AmiActionRejection.TooManyLines, Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(new AmiAction("UserEvent", headers))).Reason);
        // With an ActionID the same 127 headers are one line too many.
        headers.RemoveAt(127);
        Assert.Equal(AmiActionRejection.TooManyLines, Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(new AmiAction("UserEvent", headers), "id")).Reason);
    }

    [Theory]
    [InlineData("Variable", "a=1\r\nAction: Hangup", AmiActionRejection.LineBreakInValue)]
    [InlineData("Variable", "a=1\nEvent: Forged", AmiActionRejection.LineBreakInValue)]
    [InlineData("Variable", "a=1\r", AmiActionRejection.LineBreakInValue)]
    [InlineData("Variable", "\n", AmiActionRejection.LineBreakInValue)]
    [InlineData("Variable", "a\0b", AmiActionRejection.NulInValue)]
    [InlineData("Bad\r\nAction: Hangup", "v", AmiActionRejection.LineBreakInValue)]
    [InlineData("Bad\nName", "v", AmiActionRejection.LineBreakInValue)]
    [InlineData("", "v", AmiActionRejection.InvalidHeaderName)]
    [InlineData("Two Words", "v", AmiActionRejection.InvalidHeaderName)]
    [InlineData("Colon:Name", "v", AmiActionRejection.InvalidHeaderName)]
    [InlineData("Nämé", "v", AmiActionRejection.InvalidHeaderName)]
    [InlineData("Tab\tName", "v", AmiActionRejection.InvalidHeaderName)]
    public void Injection_attempts_and_invalid_keys_are_refused_before_anything_is_written(string key, string value, AmiActionRejection reason)
    {
        var action = new AmiAction("UserEvent", ("UserEvent", "Probe"), (key, value));
        var output = new ArrayBufferWriter<byte>();
        var ex = Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(action, "id-1", output));
        Assert.Equal(reason, ex.Reason);
        Assert.Equal(0, output.WrittenCount);
        Assert.Throws<AmiActionValidationException>(() => AmiWriter.Validate(action, "id-1"));
        Assert.DoesNotContain("\r", ex.Message);
        Assert.DoesNotContain("\n", ex.Message);
        Assert.DoesNotContain("Probe", ex.Message);
    }

    [Theory]
    [InlineData("Ping\r\nAction: Hangup", AmiActionRejection.LineBreakInValue)]
    [InlineData("", AmiActionRejection.InvalidActionName)]
    [InlineData("Two Words", AmiActionRejection.InvalidActionName)]
    public void Invalid_action_names_are_refused(string name, AmiActionRejection reason)
    {
        Assert.Equal(reason, Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(new AmiAction(name))).Reason);
    }

    [Fact]
    public void An_actionid_with_a_line_break_is_refused()
    {
        var ex = Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(new AmiAction("Ping"), "id\r\nAction: Hangup"));
        Assert.Equal(AmiActionRejection.LineBreakInValue, ex.Reason);
        Assert.Equal("ActionID", ex.HeaderName);
    }

    [Theory]
    [InlineData("s3cr3t\r\nAction: Hangup")]
    [InlineData("s3cr3t\0")]
    [InlineData("s3cr3t-long")]
    public void Refusals_never_echo_a_secret_value(string secretShape)
    {
        string secret = secretShape == "s3cr3t-long" ? SecretValue + new string('x', 1100) : secretShape.Replace("s3cr3t", SecretValue);
        foreach (var header in new[] { "Secret", "Key", "Password", "Variable" })
        {
            var action = new AmiAction("Login", ("Username", "admin"), (header, secret));
            var ex = Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(action, "l1"));
            Assert.DoesNotContain(SecretValue, ex.Message);
            Assert.DoesNotContain(SecretValue, ex.ToString());
            Assert.Equal(header, ex.HeaderName);
        }
    }

    [Fact]
    public void Action_to_string_prints_names_but_never_values()
    {
        var action = new AmiAction("Login", ("Username", "admin"), ("Secret", SecretValue)).With("Variable", "x=" + SecretValue);
        string text = action.ToString();
        Assert.Contains("Login", text);
        Assert.Contains("Secret", text);
        Assert.DoesNotContain(SecretValue, text);
        Assert.DoesNotContain("admin", text);
        Assert.DoesNotContain(SecretValue, action.Headers[1].ToString());
        Assert.Equal("Secret: ***", action.Headers[1].ToString());
        Assert.Equal("Username: admin", action.Headers[0].ToString());
    }

    [Fact]
    public void An_explicit_actionid_replaces_an_actionid_header_and_repeated_headers_keep_their_order()
    {
        var action = new AmiAction("Originate", ("ActionID", "stale"), ("Variable", "a=1"), ("Channel", "Local/100@test"), ("Variable", "b=2"));
        string text = Encoding.ASCII.GetString(AmiWriter.Write(action, "fresh"));
        Assert.Equal("Action: Originate\r\nActionID: fresh\r\nVariable: a=1\r\nChannel: Local/100@test\r\nVariable: b=2\r\n\r\n", text);
        Assert.Equal("Action: Originate\r\nActionID: stale\r\nVariable: a=1\r\nChannel: Local/100@test\r\nVariable: b=2\r\n\r\n", Encoding.ASCII.GetString(AmiWriter.Write(action)));
    }

    [Fact]
    public void Writing_to_a_buffer_writer_appends_exactly_the_bytes_of_the_array_form()
    {
        var action = new AmiAction("UserEvent", ("UserEvent", "Probe"), ("Name", "Jürgen Ñandú"), ("Empty", ""));
        var output = new ArrayBufferWriter<byte>();
        output.Write("prefix"u8);
        int n = AmiWriter.Write(action, "u1", output);
        Assert.Equal(AmiWriter.Write(action, "u1"), output.WrittenSpan[6..].ToArray());
        Assert.Equal(n, output.WrittenCount - 6);
    }

    [Fact]
    public void The_md5_key_matches_the_login_md5_capture()
    {
        var challenge = AmiStreamDecoder.Decode(Fixtures.Bytes("login-md5.recv.txt")).Single(m => m.ActionId == "chal-1")["Challenge"]!;
        var login = Actions("login-md5.sent.txt").Single(m => m.ActionName == "Login");
        Assert.Equal("109012443", challenge);
        Assert.Equal(login["Key"], AmiAuth.ComputeMd5Key(challenge, "amp111"));
        Assert.Equal("330151d2b9fe8cd444fe61d73246798f", AmiAuth.ComputeMd5Key(challenge, "amp111"));
        Assert.NotEqual(login["Key"], AmiAuth.ComputeMd5Key(challenge, "amp112"));
    }

    [Fact]
    public void The_md5_key_of_a_long_non_ascii_secret_is_the_md5_of_its_utf8_bytes()
    {
        string secret = new string('ß', 400) + "€";
        string expected = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes("123" + secret)));
        Assert.Equal(expected, AmiAuth.ComputeMd5Key("123", secret));
    }
}
