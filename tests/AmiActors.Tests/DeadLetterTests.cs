using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>Expected stops (a dropped connection, a removed server, a coordinated shutdown) log no dead letters; real ones still do.</summary>
public class DeadLetterTests(ITestOutputHelper output) : RuntimeTestBase(output)
{
    private sealed class Collector(ConcurrentQueue<string> seen) : UntypedActor
    {
        protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(DeadLetter));

        protected override void OnReceive(object message)
        {
            if (message is DeadLetter d)
            {
                seen.Enqueue($"{d.Message.GetType().Name} from {d.Sender.Path} to {d.Recipient.Path}");
            }
        }
    }

    [Fact]
    public async Task A_dropped_connection_a_removed_server_and_a_coordinated_shutdown_leave_no_dead_letters()
    {
        var server = await StartServerAsync();
        var seen = new ConcurrentQueue<string>();
        var system = ActorSystem.Create("deadletters", ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.coordinated-shutdown.run-by-clr-shutdown-hook = off"));
        try
        {
            system.ActorOf(Props.Create(() => new Collector(seen)), "collector");
            var client = AmiClient.Start(system, FastSettings(Definition(server)));
            await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);
            await client.SendAsync("pbx1", Ping);

            await server.Faults.DropAllSessionsAsync();
            await WaitForStateAsync(client, "pbx1", AmiConnectionState.Reconnecting);
            await WaitForStateAsync(client, "pbx1", AmiConnectionState.Connected);

            await client.AddServerAsync(Definition(server, "pbx2"));
            await WaitForStateAsync(client, "pbx2", AmiConnectionState.Connected);
            await client.RemoveServerAsync("pbx2");

            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance).WaitAsync(Long);
        }
        finally
        {
            await system.Terminate().WaitAsync(Long);
        }
        Assert.Empty(seen);
    }

    [Fact]
    public async Task A_real_dead_letter_is_still_published()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(DeadLetter));
        var gone = Sys.ActorOf(Props.Empty, "gone");
        Watch(gone);
        Sys.Stop(gone);
        await ExpectTerminatedAsync(gone, Long);
        gone.Tell("hello");
        var d = await probe.FishForMessageAsync<DeadLetter>(d => Equals(d.Message, "hello"), Long);
        Assert.Equal(gone.Path, d.Recipient.Path);
    }
}
