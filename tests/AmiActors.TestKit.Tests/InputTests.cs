using System.Text;
using AmiActors.Protocol;
using AmiActors.TestKit.Internal;

namespace AmiActors.TestKit.Tests;

public class LineReaderTests
{
    private static List<(string Line, bool TooLong)> Lines(byte[] input, int chunk)
    {
        var reader = new AsteriskLineReader();
        var result = new List<(string, bool)>();
        int offset = 0;
        while (true)
        {
            while (reader.TryReadLine(out var line))
            {
                result.Add((Encoding.ASCII.GetString(line), reader.LineTooLong));
                reader.LineTooLong = false;
            }
            if (offset == input.Length)
            {
                return result;
            }
            offset += reader.Fill(input.AsSpan(offset, Math.Min(chunk, input.Length - offset)));
        }
    }

    [Fact]
    public void Lines_end_at_CRLF_or_a_bare_LF_and_a_lone_CR_stays_in_the_line()
    {
        var lines = Lines("A: 1\r\nB: 2\nC: x\ry\r\n\r\n"u8.ToArray(), 4096);
        Assert.Equal(["A: 1", "B: 2", "C: x\ry", ""], lines.Select(l => l.Line));
        Assert.All(lines, l => Assert.False(l.TooLong));
    }

    [Fact]
    public void A_line_of_1022_bytes_fits_and_1023_bytes_is_too_long_at_every_chunk_size()
    {
        foreach (int chunk in new[] { 1, 7, 1000, 4096 })
        {
            var fits = Lines(Encoding.ASCII.GetBytes(new string('x', 1022) + "\r\n\r\n"), chunk);
            Assert.Equal([(new string('x', 1022), false), ("", false)], fits);
            var tooLong = Lines(Encoding.ASCII.GetBytes(new string('x', 1023) + "\r\n\r\n"), chunk);
            // Asterisk keeps the last byte (the CR), so the CRLF ends an empty "line" flagged too long, then the real blank line.
            Assert.Equal([("", true), ("", false)], tooLong);
        }
    }
}

public class ClientInputTests
{
    [Fact]
    public async Task Actions_sent_one_byte_at_a_time_get_the_same_replies()
    {
        await using var server = await FakeAsteriskServer.StartAsync();
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.WaitForFramesAsync(1);
        foreach (byte b in Fixtures.Bytes("ping.sent.txt"))
        {
            await client.SendAsync([b]);
        }
        var frames = await client.WaitForCloseAsync();
        Assert.Equal(["login-1", "ping-1", null, "logoff-1"], frames.Skip(1).Select(f => f.ActionId));
        Assert.Equal(["Success", "Success", "Success", "Goodbye"], frames.Skip(1).Select(f => f.ResponseStatus));
    }

    [Fact]
    public async Task An_md5_login_with_a_wrong_key_fails_and_closes()
    {
        await using var server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { FailedLoginDelay = TimeSpan.Zero });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.SendAsync("Action: Challenge\r\nActionID: c\r\nAuthType: md5\r\n\r\n");
        var challenge = (await client.WaitForFrameAsync(f => f.ActionId == "c", "the challenge"))["Challenge"]!;
        await client.SendAsync($"Action: Login\r\nActionID: l\r\nAuthType: MD5\r\nUsername: admin\r\nKey: {AmiAuth.ComputeMd5Key(challenge, "wrong")}\r\n\r\n");
        var frames = await client.WaitForCloseAsync();
        Assert.Equal("Authentication failed", frames.Single(f => f.ActionId == "l").ResponseMessage);
        Assert.Equal(AmiMessageKind.Action, (await server.WaitForActionAsync("Login")).Message.Kind);
    }

    [Fact]
    public async Task A_sync_originate_holds_back_the_next_action_until_it_ends()
    {
        await using var server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions { OriginateDelay = TimeSpan.FromMilliseconds(300) });
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.LoginAsync(events: "off");
        await client.SendAsync("Action: Originate\r\nActionID: o\r\nChannel: PJSIP/1\r\nApplication: Wait\r\n\r\nAction: Ping\r\nActionID: p\r\n\r\n");
        await server.WaitForActionAsync("Originate");
        await client.WaitForFrameAsync(f => f.ActionId == "p", "the ping");
        var order = client.Frames.Where(f => f.ActionId is "o" or "p").Select(f => f.ActionId).ToList();
        Assert.Equal(["o", "p"], order);
        Assert.Equal("Originate successfully queued", client.Frames.Single(f => f.ActionId == "o").ResponseMessage);
    }
}
