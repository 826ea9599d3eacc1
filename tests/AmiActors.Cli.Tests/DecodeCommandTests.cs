using System.Text.Json;

namespace AmiActors.Cli.Tests;

public class DecodeCommandTests
{
    [Fact]
    public async Task Decoding_the_event_stream_capture_as_json_prints_one_object_per_message()
    {
        var run = await CliRun.RunAsync("decode", Shared.Fixture("event-stream-2000.recv.txt"), "--json");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stderr);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var docs = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("banner", docs[0].GetProperty("kind").GetString());
        Assert.Equal("Asterisk Call Manager/11.0.0", docs[0].GetProperty("name").GetString());
        Assert.Equal("response", docs[1].GetProperty("kind").GetString());
        Assert.Equal("Success", docs[1].GetProperty("name").GetString());
        Assert.Equal(2000, docs.Count(d => d.GetProperty("kind").GetString() == "event"));
        var newchannel = docs.First(d => d.GetProperty("name").GetString() == "Newchannel");
        var first = newchannel.GetProperty("headers")[0];
        Assert.Equal("Event", first[0].GetString());
        Assert.Equal("Newchannel", first[1].GetString());
        // Empty values survive (AccountCode: ).
        Assert.Contains(newchannel.GetProperty("headers").EnumerateArray(), h => h[0].GetString() == "AccountCode" && h[1].GetString() == "");
    }

    [Fact]
    public async Task Action_frames_of_a_sent_capture_are_kind_action()
    {
        var run = await CliRun.RunAsync("decode", Shared.Fixture("login-plain.sent.txt"), "--json");
        Assert.Equal(0, run.ExitCode);
        var doc = JsonDocument.Parse(run.Stdout.Split('\n')[0]).RootElement;
        Assert.Equal("action", doc.GetProperty("kind").GetString());
        Assert.Equal("Login", doc.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Plain_output_reproduces_the_headers_of_each_message()
    {
        var run = await CliRun.RunAsync("decode", Shared.Fixture("ping.recv.txt"));
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("Asterisk Call Manager/", run.Stdout);
        Assert.Contains("Ping: Pong", run.Stdout);
    }

    [Fact]
    public async Task Standard_input_is_read_for_a_dash()
    {
        var bytes = await File.ReadAllBytesAsync(Shared.Fixture("coreshowchannels-active.recv.txt"));
        var run = await CliRun.RunAsync(["decode", "-", "--json"], null, bytes);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("\"name\":\"CoreShowChannelsComplete\"", run.Stdout);
    }

    [Fact]
    public async Task Legacy_command_bodies_are_kept()
    {
        var bytes = "Response: Follows\r\nPrivilege: Command\r\nActionID: 1\r\nline one: with colon\nline two\n--END COMMAND--\r\n\r\n"u8.ToArray();
        var run = await CliRun.RunAsync(["decode", "--json"], null, bytes);
        Assert.Equal(0, run.ExitCode);
        var doc = JsonDocument.Parse(run.Stdout.Trim()).RootElement;
        Assert.Equal("Follows", doc.GetProperty("name").GetString());
        Assert.Contains("line one: with colon", doc.GetProperty("body").GetString());
    }

    [Fact]
    public async Task A_missing_file_is_a_usage_error_in_one_line()
    {
        var run = await CliRun.RunAsync("decode", "/nonexistent/capture.txt");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("cannot read '/nonexistent/capture.txt'", run.Stderr);
    }
}
