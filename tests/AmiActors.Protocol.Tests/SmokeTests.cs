using AmiActors.Protocol;

namespace AmiActors.Protocol.Tests;

public class SmokeTests
{
    internal static string Fixture(string name) => Path.Combine(FindShared(), "fixtures", "asterisk-22", name);

    internal static string FindShared()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared");
            if (File.Exists(Path.Combine(dir.FullName, "AmiActors.sln")) && Directory.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
            dir = dir.Parent;
        }
        throw new DirectoryNotFoundException("../shared next to the repository root was not found");
    }

    [Fact]
    public void Event_stream_2000_yields_2000_events_after_the_login_exchange()
    {
        var messages = AmiStreamDecoder.Decode(File.ReadAllBytes(Fixture("event-stream-2000.recv.txt")));
        Assert.Equal(AmiMessageKind.Banner, messages[0].Kind);
        Assert.Equal("11.0.0", messages[0].BannerVersion);
        Assert.Equal(AmiMessageKind.Response, messages[1].Kind);
        Assert.Equal("es-login", messages[1].ActionId);
        Assert.Equal(2000, messages.Count(m => m.Kind == AmiMessageKind.Event));
    }

    [Fact]
    public void Splitting_at_every_offset_gives_the_same_messages()
    {
        var bytes = File.ReadAllBytes(Fixture("originate-async.recv.txt"));
        var whole = AmiStreamDecoder.Decode(bytes).Select(m => string.Join("|", m.Headers)).ToList();
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var parser = new AmiParser();
            var got = new List<string>();
            foreach (var part in new[] { bytes.AsSpan(0, cut).ToArray(), bytes.AsSpan(cut).ToArray() })
            {
                ReadOnlySpan<byte> input = part;
                while (parser.Read(ref input, out var m, out _) == AmiReadStatus.Message)
                {
                    got.Add(string.Join("|", m!.Headers));
                }
            }
            Assert.Equal(whole, got);
        }
    }

    [Fact]
    public void Legacy_command_body_is_read_up_to_end_command()
    {
        var text = "Asterisk Call Manager/2.10.0\r\nResponse: Follows\r\nPrivilege: Command\r\nActionID: c1\r\nName: value with colon\n\nline 3\n--END COMMAND--\r\n\r\nEvent: X\r\n\r\n";
        var messages = AmiStreamDecoder.Decode(System.Text.Encoding.UTF8.GetBytes(text));
        Assert.Equal(3, messages.Count);
        Assert.Equal("c1", messages[1].ActionId);
        Assert.Equal(["Name: value with colon", "", "line 3"], messages[1].CommandOutput);
        Assert.Equal("X", messages[2].EventName);
    }
}
