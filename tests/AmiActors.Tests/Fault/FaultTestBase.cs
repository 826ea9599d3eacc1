using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using AmiActors.Protocol;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Tests.Fault;

/// <summary>
/// Shared setup of the fault-injection suite: fake Asterisk servers on loopback (real TCP), an <see cref="AmiClient"/> in the
/// test's actor system, and helpers to wait for states. Servers are disposed after each test.
/// </summary>
public abstract class FaultTestBase : RuntimeTestBase
{
    /// <summary>HOCON that swaps the scheduler for the TestKit's virtual-time one (timers move only when a test advances them).</summary>
    protected const string VirtualTime = "akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"";

    protected FaultTestBase(ITestOutputHelper output, string? config = null)
        : base(output, config)
    {
    }

    /// <summary>The virtual-time scheduler (only for classes built with <see cref="VirtualTime"/>).</summary>
    protected TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    /// <summary>Short backoffs, heartbeat off unless a test turns it on.</summary>
    protected static AmiSettings Fast(params AmiServerDefinition[] servers) => FastSettings(servers);

    protected static AmiServerDefinition Definition(FakeAsteriskServer server, string id = "pbx1", string secret = "amp111", AmiAuthType authType = AmiAuthType.Plain) =>
        RuntimeTestBase.Definition(server, id, secret: secret) with { AuthType = authType };

    protected static async Task<AmiServerStatus> StatusAsync(AmiClient client, string serverId = "pbx1") =>
        (await client.GetServersAsync()).Single(s => s.ServerId == serverId);

    /// <summary>A probe receiving every <see cref="ConnectionStateChanged"/> of the system.</summary>
    protected TestProbe StateProbe()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(ConnectionStateChanged));
        return probe;
    }

    protected static Task<ConnectionStateChanged> NextStateAsync(TestProbe states, AmiConnectionState state) =>
        states.FishForMessageAsync<ConnectionStateChanged>(c => c.Current == state, Long).AsTask();

    /// <summary>One frame in wire form.</summary>
    protected static byte[] Frame(params (string Name, string Value)[] headers) => AmiMessage.Create(headers).ToWireBytes();

    /// <summary>A numbered UserEvent, as a frame.</summary>
    protected static byte[] UserEvent(string tag, int seq) =>
        Frame(("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", tag), ("Seq", seq.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
