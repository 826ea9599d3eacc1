using System.Globalization;
using System.Net;
using AmiActors.TestKit;
using AmiActors.Testing;

namespace AmiActors.Benchmarks;

/// <summary>
/// The repository's own flood server, in its own process, for <c>external</c>: the TestKit's fake Asterisk on a fixed port.
/// Every logged-in session gets <c>--events N</c> events (the captured Asterisk 22 event stream, cycled) from its login on,
/// then <c>Event: FloodComplete</c>; the first events leave in the same write as the login response. Pings are answered at once.
/// <c>serve [--port 15038] [--events N] [--username admin] [--secret secret]</c>; runs until killed.
/// </summary>
public sealed class ServeHarness : IHarness
{
    public string Name => "serve";

    public string Description => "the TestKit fake server in this process on --port, flooding --events N per login then FloodComplete (for `external`)";

    public async Task<int> RunAsync(string[] args)
    {
        int port = ExternalHarness.Int(args, "--port", 15038);
        int events = ExternalHarness.Int(args, "--events", 0);
        string username = ExternalHarness.Option(args, "--username") ?? "admin";
        string secret = ExternalHarness.Option(args, "--secret") ?? "secret";
        var template = FakeEventTemplates.FromCaptureFile(CapturedFixtures.Fixture("event-stream-2000.recv.txt"));
        await using var server = await FakeAsteriskServer.StartAsync(new FakeAsteriskOptions
        {
            Address = IPAddress.Loopback,
            Port = port,
            Users = [new FakeAmiUser(username, secret)],
            SendFullyBooted = false,
            SendSuccessfulAuth = false,
            AuthLimit = 10_000,
            MaxRecordedActions = 0,
        });
        var complete = "Event: FloodComplete\r\nCount: "u8.ToArray().Concat(System.Text.Encoding.ASCII.GetBytes(events.ToString(CultureInfo.InvariantCulture))).Concat("\r\n\r\n"u8.ToArray()).ToArray();
        // The first template copy leaves with the login response: a flood that starts at login.
        int frames = CountFrames(template);
        int head = events >= frames ? frames : 0;
        if (head > 0)
        {
            server.Faults.BytesWithLoginResponse = head == events ? template.Concat(complete).ToArray() : template;
        }
        Console.WriteLine($"serve: listening on 127.0.0.1:{server.Port}; {events:N0} events per login ({template.Length / Math.Max(1, CountFrames(template)):N0} B average), user {username}");
        var flooded = new HashSet<int>();
        while (true)
        {
            await server.WaitUntilAsync(() => server.Sessions.Any(s => s.IsAuthenticated && !flooded.Contains(s.Id)), TimeSpan.FromDays(365));
            foreach (var session in server.Sessions.Where(s => s.IsAuthenticated && flooded.Add(s.Id)))
            {
                if (events > head)
                {
                    _ = FloodAsync(server, session, template, events - head, complete);
                }
            }
        }
    }

    private static async Task FloodAsync(FakeAsteriskServer server, FakeAmiSession session, byte[] template, int count, byte[] complete)
    {
        try
        {
            await server.FloodEventsAsync(session, template, count);
            await session.SendRawAsync(complete);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client left before the end of its flood.
        }
    }

    private static int CountFrames(byte[] template) => System.Text.Encoding.ASCII.GetString(template).Split("\r\n\r\n").Length - 1;
}
