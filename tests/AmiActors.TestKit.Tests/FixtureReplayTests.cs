using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using AmiActors.Protocol;

namespace AmiActors.TestKit.Tests;

/// <summary>
/// Replays each fixture's client bytes to the fake server and checks that the replies have the structure the real
/// Asterisk 22.10.1 sent: same frame kinds, header names in order, ActionIDs, Message texts and other stable values.
/// Values that vary between runs (timestamps, session ids, unique ids, uptimes, challenges) are not compared.
/// </summary>
public class FixtureReplayTests
{
    private static readonly HashSet<string> VolatileHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Timestamp", "SessionID", "Uniqueid", "Linkedid", "Uptime", "LastReload", "EventTV", "SessionTV",
        "LocalAddress", "RemoteAddress", "Challenge", "Duration",
    };

    private static readonly FakeAsteriskOptions FastOptions = new() { FailedLoginDelay = TimeSpan.FromMilliseconds(200), OriginateDelay = TimeSpan.FromMilliseconds(20) };

    [Fact]
    public Task Login_plain_matches_the_fixture() => ReplayAllAtOnceAsync("login-plain");

    [Fact]
    public Task Action_before_login_is_refused_and_the_connection_stays_open() => ReplayAllAtOnceAsync("action-before-login");

    [Fact]
    public Task Ping_matches_the_fixture() => ReplayAllAtOnceAsync("ping");

    [Fact]
    public Task Logoff_says_goodbye_and_closes() => ReplayAllAtOnceAsync("logoff");

    [Fact]
    public Task Unknown_action_gets_the_real_error_text() => ReplayAllAtOnceAsync("unknown-action");

    [Fact]
    public Task Actions_without_ActionID_get_replies_without_one() => ReplayAllAtOnceAsync("no-actionid", outputIsVolatile: true);

    [Fact]
    public Task A_line_over_1022_bytes_is_refused_like_the_real_server() => ReplayAllAtOnceAsync("long-header-1023");

    [Fact]
    public Task More_than_128_lines_are_refused_like_the_real_server() => ReplayAllAtOnceAsync("many-headers-129");

    [Fact]
    public Task Challenge_without_MD5_is_refused() => ReplayAllAtOnceAsync("challenge-bad-authtype");

    [Fact]
    public Task Events_off_and_on_match_the_fixture() => ReplayAllAtOnceAsync("events-off-on");

    [Fact]
    public Task CoreShowChannels_with_no_channels_is_an_empty_list() => ReplayAllAtOnceAsync("coreshowchannels-empty");

    [Fact]
    public Task The_reader_user_is_refused_write_actions() => ReplayAllAtOnceAsync("reader-permission-denied");

    [Fact]
    public async Task Command_core_show_version_uses_the_modern_framing()
    {
        var frames = await ReplayAllAtOnceAsync("command-core-show-version", outputIsVolatile: true);
        var output = frames.Single(f => f.ActionId == "cmd-1").GetAll("Output");
        Assert.StartsWith("Asterisk 22.10.1 built by ", Assert.Single(output));
    }

    [Fact]
    public async Task Command_variants_match_the_fixture_with_configured_outputs()
    {
        var options = FastOptions with
        {
            Commands = new Dictionary<string, string>
            {
                ["dialplan show 100@test"] = string.Join('\n', Fixtures.Bytes("command-variants.recv.txt") is var b
                    ? AmiStreamDecoder.Decode(b).Single(m => m.ActionId == "cmd-dialplan").GetAll("Output") : []),
                ["core set verbose 3"] = "Console verbose is still 3.",
                ["core show help manager"] = string.Join('\n', AmiStreamDecoder.Decode(Fixtures.Bytes("command-variants.recv.txt")).Single(m => m.ActionId == "cmd-help").GetAll("Output")),
            },
        };
        var frames = await ReplayAllAtOnceAsync("command-variants", options, outputIsVolatile: false, normalizeUptime: true);
        Assert.Equal(2, frames.Single(f => f.ActionId == "cmd-multi").GetAll("Output").Count);
    }

    [Fact]
    public async Task Login_failure_is_answered_after_the_delay_and_then_closed()
    {
        var watch = Stopwatch.StartNew();
        await ReplayAllAtOnceAsync("login-wrong-password");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(180), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task CoreShowChannels_lists_the_simulated_channels_like_the_fixture()
    {
        await using var server = await FakeAsteriskServer.StartAsync(FastOptions);
        foreach (var (name, priority, uid) in new[] { ("Local/200@test-00000000;1", 1, "1.0"), ("Local/200@test-00000000;2", 2, "1.1") })
        {
            server.AddChannel(new FakeChannel(name) { Context = "test", Exten = "200", Priority = priority, Uniqueid = uid, Linkedid = "1.0", Application = "Wait", ApplicationData = "5" });
        }
        await ReplayAsync(server, "coreshowchannels-active", paced: false, outputIsVolatile: false, normalizeUptime: false, keepExpected: _ => true);
    }

    [Fact]
    public async Task Login_md5_matches_the_fixture()
    {
        await using var server = await FakeAsteriskServer.StartAsync(FastOptions);
        var frames = await ReplayAsync(server, "login-md5", paced: true, outputIsVolatile: false, normalizeUptime: false, keepExpected: _ => true);
        Assert.Matches("^[0-9]+$", frames.Single(f => f.ActionId == "chal-1")["Challenge"]!);
    }

    [Fact]
    public async Task Originate_async_queues_then_reports_success()
    {
        await using var server = await FakeAsteriskServer.StartAsync(FastOptions);
        await ReplayAsync(server, "originate-async", paced: true, outputIsVolatile: false, normalizeUptime: false, keepExpected: KeepSimulatedEvents);
    }

    [Fact]
    public async Task Originate_async_failures_report_their_reasons()
    {
        var options = FastOptions with
        {
            OriginateOutcomeSelector = action => action["Channel"] switch
            {
                "Local/100@nosuchcontext" or "Bogus/xyz" => FakeOriginateOutcome.Failed,
                "Local/260@test" => FakeOriginateOutcome.NoAnswer,
                _ => null,
            },
        };
        await using var server = await FakeAsteriskServer.StartAsync(options);
        await ReplayAsync(server, "originate-async-fail", paced: true, outputIsVolatile: false, normalizeUptime: false, keepExpected: KeepSimulatedEvents);
    }

    [Fact]
    public async Task Originate_sync_blocks_the_session_and_answers_success_or_failure()
    {
        var options = FastOptions with
        {
            OriginateOutcomeSelector = action => action["Channel"] == "Local/250@test" ? FakeOriginateOutcome.Answered : FakeOriginateOutcome.Failed,
        };
        await using var server = await FakeAsteriskServer.StartAsync(options);
        await ReplayAsync(server, "originate-sync", paced: false, outputIsVolatile: false, normalizeUptime: false, keepExpected: _ => true);
    }

    [Fact]
    public async Task Stopping_the_server_sends_Shutdown_like_the_fixture()
    {
        await using var server = await FakeAsteriskServer.StartAsync(FastOptions);
        var expected = AmiStreamDecoder.Decode(Fixtures.Bytes("shutdown.recv.txt"));
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(Fixtures.Bytes("shutdown.sent.txt"));
        await client.WaitForFramesAsync(expected.Count - 1);
        await server.StopAsync();
        AssertSameStructure(expected, await client.WaitForCloseAsync(), outputIsVolatile: false, normalizeUptime: false);
    }

    // The real server's dialplan produced Newchannel, VarSet, Hangup...: the fake simulates only what Originate itself reports.
    private static bool KeepSimulatedEvents(AmiMessage m) =>
        m.Kind != AmiMessageKind.Event || m.EventName is "FullyBooted" or "SuccessfulAuth" or "OriginateResponse";

    private static async Task<IReadOnlyList<AmiMessage>> ReplayAllAtOnceAsync(string scenario, FakeAsteriskOptions? options = null, bool outputIsVolatile = false, bool normalizeUptime = false)
    {
        await using var server = await FakeAsteriskServer.StartAsync(options ?? FastOptions);
        return await ReplayAsync(server, scenario, paced: false, outputIsVolatile, normalizeUptime, keepExpected: _ => true);
    }

    private static async Task<IReadOnlyList<AmiMessage>> ReplayAsync(FakeAsteriskServer server, string scenario, bool paced, bool outputIsVolatile, bool normalizeUptime, Func<AmiMessage, bool> keepExpected)
    {
        var expected = AmiStreamDecoder.Decode(Fixtures.Bytes(scenario + ".recv.txt")).Where(keepExpected).ToList();
        var sent = Fixtures.SplitSent(Fixtures.Bytes(scenario + ".sent.txt"));
        await using var client = await RawAmiClient.ConnectAsync(server.EndPoint);
        await client.WaitForFramesAsync(1);
        if (!paced)
        {
            await client.SendAsync(sent.SelectMany(f => f).ToArray());
        }
        else
        {
            // One action at a time, waiting for everything the fixture shows for its ActionID (async events included).
            foreach (var frame in sent)
            {
                var action = AmiMessage.FromFrame(frame);
                var toSend = frame;
                if (action["Key"] is not null)
                {
                    string challenge = client.Frames.Last(f => f["Challenge"] is not null)["Challenge"]!;
                    toSend = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(frame).Replace(action["Key"]!, AmiAuth.ComputeMd5Key(challenge, "amp111")));
                }
                await client.SendAsync(toSend);
                int lastIndex = expected.FindLastIndex(m => m.ActionId == action.ActionId);
                while (lastIndex + 1 < expected.Count && expected[lastIndex + 1].ActionId is null)
                {
                    lastIndex++;
                }
                await client.WaitForFramesAsync(lastIndex + 1);
            }
        }
        var closesAtEnd = expected.LastOrDefault()?.ResponseStatus == "Goodbye" || scenario == "login-wrong-password";
        var actual = closesAtEnd ? await client.WaitForCloseAsync() : await client.WaitForFramesAsync(expected.Count);
        AssertSameStructure(expected, actual, outputIsVolatile, normalizeUptime);
        Assert.Equal(client.RawBytes.Take(30).ToArray(), Fixtures.Bytes(scenario + ".recv.txt").Take(30).ToArray());
        return actual;
    }

    private static void AssertSameStructure(IReadOnlyList<AmiMessage> expected, IReadOnlyList<AmiMessage> actual, bool outputIsVolatile, bool normalizeUptime)
    {
        string Render(IReadOnlyList<AmiMessage> frames) => string.Join("\n", frames.Select(RawAmiClient.Describe));
        Assert.True(expected.Count == actual.Count, $"expected {expected.Count} frames, got {actual.Count}:\nexpected:\n{Render(expected)}\nactual:\n{Render(actual)}");
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            Assert.Equal(e.Kind, a.Kind);
            Assert.Equal(e.Headers.Select(h => h.Name), a.Headers.Select(h => h.Name));
            for (int h = 0; h < e.Count; h++)
            {
                string name = e.NameAt(h);
                if (VolatileHeaders.Contains(name) || (outputIsVolatile && name == "Output"))
                {
                    continue;
                }
                Assert.True(Normalize(name, e.ValueAt(h), normalizeUptime) == Normalize(name, a.ValueAt(h), normalizeUptime),
                    $"frame {i} ({RawAmiClient.Describe(e)}) header {name}: expected '{e.ValueAt(h)}', got '{a.ValueAt(h)}'");
            }
        }
    }

    private static string Normalize(string name, string value, bool normalizeUptime)
    {
        if (name == "Channel")
        {
            return Regex.Replace(value, "-[0-9a-f]{8}(;[12])?$", "-XXXXXXXX$1");
        }
        if (normalizeUptime && name == "Output")
        {
            return Regex.Replace(value, @"\d+ seconds?", "N seconds");
        }
        return value;
    }
}
