using System.Text.RegularExpressions;

namespace AmiActors.Cli.Tests;

/// <summary>
/// <c>ami demo --nodes</c> runs real Akka.Remote nodes in this process and sets Serilog's global logger: these tests run
/// alone (xunit runs a collection without parallelization after the parallel ones), so no other command's logs mix in
/// and failure detection is not starved by other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCliCollection
{
    public const string Name = "cluster CLI";
}

[Collection(ClusterCliCollection.Name)]
public class ClusterDemoCommandTests
{
    private static readonly Regex PbxLine = new(@"^t=(\d+)s (pbx\d) node=(node\d) state=Connected events=\d+ events/s=(\d+)$", RegexOptions.Multiline);
    private static readonly Regex NodeLine = new(@"^t=\d+s (node\d) up hosts=(\S+) hosted-events/s=\d+ received=(\d+) received-events/s=(\d+)$", RegexOptions.Multiline);

    [Fact]
    public async Task The_cluster_demo_prints_each_pbx_hosting_node_and_event_rates_per_node()
    {
        var run = await CliRun.RunAsync(["demo", "--nodes", "3", "--duration", "4", "--rate", "10"], null, null, TimeSpan.FromSeconds(90));
        string output = $"stdout:\n{run.Stdout}\nstderr:\n{run.Stderr}";

        Assert.True(run.ExitCode == 0, output);
        Assert.DoesNotContain("\u001b[", run.Stdout);
        Assert.StartsWith("ami demo: 3 cluster nodes on 127.0.0.1 (node1 akka.tcp://ami-demo@127.0.0.1:", run.Stdout);
        var pbxs = PbxLine.Matches(run.Stdout);
        // Three PBXs, each reported on a node, spread over the three nodes (new servers go to the region with the fewest).
        Assert.Equal(["pbx1", "pbx2", "pbx3"], pbxs.Select(m => m.Groups[2].Value).Distinct().Order().ToArray());
        var lastTick = pbxs.Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Max();
        var hosts = pbxs.Where(m => m.Groups[1].Value == lastTick.ToString(System.Globalization.CultureInfo.InvariantCulture)).Select(m => m.Groups[3].Value).ToArray();
        Assert.Equal(["node1", "node2", "node3"], hosts.Order().ToArray());
        Assert.Contains(pbxs, m => m.Groups[4].Value != "0");
        // Every node's subscriber receives events of every PBX, its own and the others'.
        var nodes = NodeLine.Matches(run.Stdout);
        Assert.Equal(["node1", "node2", "node3"], nodes.Select(m => m.Groups[1].Value).Distinct().Order().ToArray());
        Assert.All(new[] { "node1", "node2", "node3" }, n => Assert.Contains(nodes, m => m.Groups[1].Value == n && m.Groups[4].Value != "0"));
        Assert.Matches(@"\nami demo: stopped after [\d.]+ s: node1 received [1-9]\d* events, node2 received [1-9]\d* events, node3 received [1-9]\d* events; \d+ calls started\.", run.Stdout);
    }

    [Theory]
    [InlineData("--crash-node-after", "5", "--crash-node-after needs --nodes 3 or more")]
    [InlineData("--pbxs", "0", "--pbxs must be between 1 and 50.")]
    public async Task Bad_cluster_demo_options_are_a_one_line_usage_error(string option, string value, string message)
    {
        var run = await CliRun.RunAsync("demo", "--nodes", "2", option, value);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Crashing_a_hosting_node_shows_its_pbx_moving_to_another_node()
    {
        var run = await CliRun.RunAsync(["demo", "--nodes", "3", "--duration", "30", "--crash-node-after", "1"], null, null, TimeSpan.FromSeconds(120));
        string output = $"stdout:\n{run.Stdout}\nstderr:\n{run.Stderr}";

        Assert.True(run.ExitCode == 0, output);
        var crash = Regex.Match(run.Stdout, @"^ami demo: crashing (node\d) \(hosting (pbx\d)\): its actor system stops without leaving the cluster\.$", RegexOptions.Multiline);
        Assert.True(crash.Success, output);
        string victim = crash.Groups[1].Value, pbx = crash.Groups[2].Value;
        Assert.NotEqual("node1", victim);
        var moved = Regex.Match(run.Stdout, $@"^ami demo: {pbx} moved from {victim} to (node\d), [\d.]+ s after the crash\.$", RegexOptions.Multiline);
        Assert.True(moved.Success, output);
        string survivor = moved.Groups[1].Value;
        Assert.NotEqual(victim, survivor);
        Assert.True(moved.Index > crash.Index, output);
        // After the move, the PBX is connected on the survivor and the victim is reported crashed.
        string after = run.Stdout[moved.Index..];
        Assert.Matches($@"(?m)^t=\d+s {pbx} node={survivor} state=Connected events=\d+ events/s=\d+$", after);
        Assert.Matches($@"(?m)^t=\d+s {victim} crashed$", after);
        Assert.Matches(@"\nami demo: stopped after [\d.]+ s: ", run.Stdout);
    }
}

public class ClusterLiveViewTests
{
    private static ClusterSnapshot Snapshot()
    {
        var stats = new ClusterDemoStats(["node1", "node2", "node3"], ["pbx1", "pbx2"]);
        stats.SetHost("pbx1", "node2", AmiConnectionState.Connected);
        stats.SetHost("pbx2", "node3", AmiConnectionState.Connected);
        for (int i = 0; i < 30; i++)
        {
            stats.OnEvent(0, "pbx1");
            stats.OnEvent(1, "pbx1");
        }
        stats.OnEvent(0, "pbx2");
        stats.OnCrash("node3");
        Assert.Null(stats.SetHost("pbx2", null, AmiConnectionState.Reconnecting));
        Assert.Equal("node3", stats.SetHost("pbx2", "node1", AmiConnectionState.Connected));
        stats.AddNotes(["ami demo: pbx2 moved from node3 to node1."]);
        stats.Tick(TimeSpan.FromSeconds(1));
        return stats.Snapshot();
    }

    [Fact]
    public void Plain_lines_name_each_pbx_host_and_each_node_rates_and_a_crashed_node()
    {
        var lines = ClusterLiveView.Lines(TimeSpan.FromSeconds(7), Snapshot()).ToArray();

        Assert.Equal(
        [
            "t=7s pbx1 node=node2 state=Connected events=30 events/s=30",
            "t=7s pbx2 node=node1 state=Connected events=1 events/s=1",
            "t=7s node1 up hosts=pbx2 hosted-events/s=1 received=31 received-events/s=31",
            "t=7s node2 up hosts=pbx1 hosted-events/s=30 received=30 received-events/s=30",
            "t=7s node3 crashed",
        ], lines);
    }

    [Fact]
    public void The_screen_shows_the_node_table_the_pbx_table_and_the_notes()
    {
        string screen = ClusterLiveView.Screen("ami demo: 3 cluster nodes", TimeSpan.FromSeconds(7), Snapshot());

        Assert.StartsWith("\u001b[H\u001b[2Jami demo: 3 cluster nodes Ctrl+C to stop.", screen);
        Assert.Matches(@"\n  node2\s+up\s+pbx1\s+30\s+30\n", screen);
        Assert.Matches(@"\n  node3\s+crashed\s+-\s+-\s+-\n", screen);
        Assert.Matches(@"\n  pbx2\s+node1\s+Connected\s+1\s+1\n", screen);
        Assert.Contains("  ami demo: pbx2 moved from node3 to node1.\n", screen);
    }
}
