using Akka.Actor;
using AmiActors.Actions;
using AmiActors.Events;
using AmiActors.TestKit;
using AmiActors.TestKit.Simulation;

namespace AmiActors.Samples.Tests.Examples;

/// <summary>
/// The README's "Testing your own actors with AmiActors.TestKit" example, run as a test (the documentation check reads
/// this folder like samples/). "Your actor" here dials the next call whenever one hangs up.
/// </summary>
public class TestKitExampleTests : Akka.TestKit.Xunit2.TestKit
{
    public TestKitExampleTests()
        : base("akka.loglevel = WARNING")
    {
    }

    /// <summary>On every hangup (from the EventStream) Originates a call through the manager; forwards the replies.</summary>
    private sealed class Redialer : ReceiveActor
    {
        public Redialer(IActorRef replies)
        {
            Receive<HangupEvent>(_ => Context.ActorSelection("/user/ami").Tell(
                new AmiManager.SendAction("pbx1", new OriginateAction("PJSIP/100") { Context = "test", Exten = "100", Priority = 1 })));
            Receive<AmiActionResult>(replies.Tell);
        }

        protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(HangupEvent));
    }

    [Fact]
    public async Task The_README_TestKit_example_runs()
    {
        var replies = CreateTestProbe();
        Sys.ActorOf(Props.Create(() => new Redialer(replies.Ref)), "redialer");

        await using var pbx = await FakeAsteriskServer.StartAsync();                   // real TCP on 127.0.0.1, port 0
        var client = AmiClient.Start(Sys);                                             // Akka.TestKit's system
        await client.AddServerAsync(new AmiServerDefinition("pbx1", "127.0.0.1", pbx.Port, "admin", "amp111"));
        await pbx.WaitForLoginsAsync(1);
        pbx.OnAction("Originate", ctx => ctx.Success("Originate successfully queued"));  // script any action
        await pbx.EmitEventAsync(FakeAmiEvents.Hangup(new FakeChannel("PJSIP/100-00000001")));
        var sent = await pbx.WaitForActionAsync("Originate");                          // assert on what your actor sent
        await using var load = CallSimulation.Start(pbx, new CallSimulatorOptions { CallsPerSecond = 20 }); // realistic traffic

        Assert.Equal("PJSIP/100", sent.Message["Channel"]);
        Assert.Equal("Originate successfully queued", (await replies.ExpectMsgAsync<AmiActionResult>()).Message);
        // The simulated calls hang up too, and the actor redials each time.
        await pbx.WaitForActionCountAsync("Originate", 3, TimeSpan.FromSeconds(30));
    }
}
