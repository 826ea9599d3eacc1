using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AmiActors.TestKit;
using Xunit.Abstractions;

namespace AmiActors.Cli.Tests;

/// <summary>Cluster workers are real <c>ami listen</c> processes with Akka.Remote on 127.0.0.1: one at a time, nothing else in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ListenClusterCollection
{
    public const string Name = "ami listen cluster";
}

/// <summary>
/// <c>ami listen</c> workers joined into one Akka.NET cluster from their configuration, as an operator runs them: separate
/// processes, stopped with SIGTERM, against fake Asterisks over real TCP.
/// </summary>
[Collection(ListenClusterCollection.Name)]
public sealed class ListenClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string SecretVariable = "AMI_LISTEN_TEST_SECRET";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private readonly List<FakeAsteriskServer> _pbxs = new();
    private readonly List<Worker> _workers = new();
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("ami-listen-cluster-").FullName;
        for (int i = 0; i < 2; i++)
        {
            _pbxs.Add(await FakeAsteriskServer.StartAsync());
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }
        foreach (var pbx in _pbxs)
        {
            await pbx.DisposeAsync();
        }
        Directory.Delete(_dir, recursive: true);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A worker's configuration: both fake PBXs, its own Akka port, the first worker as seed, test cluster timings.</summary>
    private string Config(string name, int port, int seedPort, string roles = "\"ami\"", string extra = "") =>
        WriteFile(name + ".conf", $$"""
            {{extra}}
            ami.servers {
              pbx1 { host = "127.0.0.1", port = {{_pbxs[0].Port}}, username = "admin", secret = "env:{{SecretVariable}}" }
              pbx2 { host = "127.0.0.1", port = {{_pbxs[1].Port}}, username = "admin", secret = "env:{{SecretVariable}}" }
            }
            ami.reconnect { min-backoff = 100ms, max-backoff = 500ms }
            ami.cluster { keep-alive-interval = 500ms, state-refresh-interval = 1s }
            ami.listen.cluster {
              enabled = on
              hostname = "127.0.0.1"
              port = {{port}}
              seed-nodes = ["akka.tcp://ami@127.0.0.1:{{seedPort}}"]
              roles = [{{roles}}]
            }
            akka.cluster {
              failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 2s }
              split-brain-resolver.stable-after = 3s
            }
            """);

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private Worker Start(string name, string config, params string[] extra)
    {
        var worker = Worker.Start(name, _dir, ["listen", "--config", config, .. extra], new() { [SecretVariable] = "amp111" });
        _workers.Add(worker);
        return worker;
    }

    private static int LoggedIn(FakeAsteriskServer pbx) => pbx.Sessions.Count(s => s.IsAuthenticated);

    private static async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Long);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{what}: not within {(timeout ?? Long).TotalSeconds:0} s. {detail?.Invoke()}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>The condition holds at every look for the whole window (a second connection would show up within it).</summary>
    private static async Task HoldsForAsync(Func<bool> condition, TimeSpan window, string what, Func<string>? detail = null)
    {
        var end = DateTime.UtcNow + window;
        while (DateTime.UtcNow < end)
        {
            Assert.True(condition(), $"{what}. {detail?.Invoke()}");
            await Task.Delay(50);
        }
    }

    private static string HostOf(Worker worker, string server)
    {
        var hosted = Regex.Matches(worker.Output, $@"AMI server {server} is hosted on (\S+)");
        return hosted.Count == 0 ? "" : hosted[^1].Groups[1].Value;
    }

    [Fact]
    public async Task Two_workers_connect_each_PBX_exactly_once_and_a_graceful_stop_hands_its_PBX_to_the_other_worker()
    {
        int portA = FreePort(), portB = FreePort();
        string addressA = $"akka.tcp://ami@127.0.0.1:{portA}", addressB = $"akka.tcp://ami@127.0.0.1:{portB}";
        var a = Start("a", Config("a", portA, portA), "--http", "127.0.0.1:0");
        // b takes its reads on .NET's socket thread (ami.listen.socket-thread), a on the thread pool: a mixed cluster.
        var b = Start("b", Config("b", portB, portA, extra: "ami.listen.socket-thread = on"));
        string Detail() => $"pbx1 {LoggedIn(_pbxs[0])} logged in, pbx2 {LoggedIn(_pbxs[1])}\n--- a:\n{a.Output}\n--- b:\n{b.Output}";

        await EventuallyAsync(() => _pbxs.All(p => LoggedIn(p) == 1) && HostOf(a, "pbx1") != "" && HostOf(b, "pbx1") != "" && HostOf(a, "pbx2") != ""
            && HostOf(b, "pbx2") != "", "each PBX logged in, both workers know where", detail: Detail);
        Assert.Contains("reads run on .NET's socket thread", b.Output);
        Assert.DoesNotContain("Socket thread", a.Output);
        // Both workers defined both servers; the cluster keeps one connection per PBX while it is stable.
        await HoldsForAsync(() => _pbxs.All(p => LoggedIn(p) == 1 && p.Sessions.Count == 1), TimeSpan.FromSeconds(3), "exactly one session per PBX", Detail);
        Assert.All(_pbxs, p => Assert.Equal(1, p.ConnectionCount));
        string host = HostOf(a, "pbx1");
        Assert.Contains(host, new[] { addressA, addressB });
        Assert.Equal(host, HostOf(b, "pbx1"));
        Assert.Equal(HostOf(a, "pbx2"), HostOf(b, "pbx2"));
        Assert.Contains($"Cluster node {addressA} (ami), seed nodes {addressA}: hosts PBX connections", a.Output);

        // Every worker logs every PBX's events, once each, wherever the PBX is hosted.
        await _pbxs[0].EmitEventAsync(("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/41-00000001"), ("Uniqueid", "41.1"));
        await _pbxs[1].EmitEventAsync(("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/42-00000001"), ("Uniqueid", "42.1"));
        await EventuallyAsync(() => new[] { a, b }.All(w => w.Output.Contains("pbx1 Newchannel channel=PJSIP/41-00000001") && w.Output.Contains("pbx2 Newchannel channel=PJSIP/42-00000001")),
            "both events logged by both workers", detail: Detail);

        // /readyz of a cluster worker: its membership (Up) and each server's state with the node hosting it.
        var bound = Regex.Match(a.Output, @"Serving /healthz, /readyz and /metrics on (http://\S+)");
        Assert.True(bound.Success, a.Output);
        using (var http = new HttpClient { BaseAddress = new Uri(bound.Groups[1].Value) })
        {
            HttpResponseMessage ready = null!;
            await EventuallyAsync(() => (ready = http.GetAsync("/readyz").GetAwaiter().GetResult()).StatusCode == HttpStatusCode.OK, "/readyz 200");
            var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
            output.WriteLine(body.ToString());
            Assert.Equal("Up", body.GetProperty("cluster").GetProperty("state").GetString());
            Assert.Equal(addressA, body.GetProperty("cluster").GetProperty("node").GetString());
            Assert.Equal("Connected", body.GetProperty("servers").GetProperty("pbx1").GetProperty("state").GetString());
            Assert.Equal(host, body.GetProperty("servers").GetProperty("pbx1").GetProperty("node").GetString());
            Assert.Matches(@"ami_connected\{[^}]*ami_server=""pbx1""[^}]*\} 1", await http.GetStringAsync("/metrics"));
        }

        // The worker hosting pbx1 gets SIGTERM: it leaves the cluster, logs off, and pbx1 logs in from the other worker.
        var (leaving, staying) = host == addressA ? (a, b) : (b, a);
        string survivor = host == addressA ? addressB : addressA;
        var firstSession = Assert.Single(_pbxs[0].Sessions);
        var clock = Stopwatch.StartNew();
        leaving.Terminate();
        var relogin = Task.Run(async () =>
        {
            await EventuallyAsync(() => LoggedIn(_pbxs[0]) == 1 && !firstSession.IsConnected, "pbx1 logged in again", detail: Detail);
            return clock.Elapsed;
        });
        int code = await leaving.WaitForExitAsync(TimeSpan.FromSeconds(45));
        var exited = clock.Elapsed;
        Assert.Equal(0, code);
        var handedOff = await relogin;
        output.WriteLine($"hand-off: the worker exited {exited.TotalSeconds:0.00} s after SIGTERM; pbx1 was logged in from the other worker {handedOff.TotalSeconds:0.00} s after SIGTERM");
        Assert.Contains(_pbxs[0].ReceivedActions, x => x.Is("Logoff"));
        Assert.Equal(2, _pbxs[0].ConnectionCount);
        await EventuallyAsync(() => HostOf(staying, "pbx1") == survivor, "the staying worker logs that it hosts pbx1", detail: Detail);
        Assert.Contains($"AMI server pbx1 is hosted on {survivor} (this worker)", staying.Output);
        Assert.All(_pbxs, p => Assert.Equal(1, LoggedIn(p)));
        Assert.DoesNotContain("amp111", a.Output + b.Output);
        foreach (var w in new[] { a, b })
        {
            Assert.Single(Regex.Matches(w.Output, "pbx1 Newchannel channel=PJSIP/41-00000001"));
            Assert.Single(Regex.Matches(w.Output, "pbx2 Newchannel channel=PJSIP/42-00000001"));
        }

        staying.Terminate();
        Assert.Equal(0, await staying.WaitForExitAsync(TimeSpan.FromSeconds(45)));
    }

    [Fact]
    public async Task A_proxy_only_worker_without_the_ami_role_hosts_no_connection()
    {
        int portA = FreePort(), portP = FreePort();
        string addressA = $"akka.tcp://ami@127.0.0.1:{portA}";
        var a = Start("a", Config("a", portA, portA));
        var proxy = Start("proxy", Config("proxy", portP, portA, roles: "\"api\""));
        string Detail() => $"pbx1 {_pbxs[0].ConnectionCount} connections, pbx2 {_pbxs[1].ConnectionCount}\n--- a:\n{a.Output}\n--- proxy:\n{proxy.Output}";

        var clock = Stopwatch.StartNew();
        await EventuallyAsync(() => HostOf(proxy, "pbx1") != "" && HostOf(proxy, "pbx2") != "", "the proxy worker sees both PBXs hosted", detail: Detail);
        output.WriteLine($"placement known on the proxy after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(addressA, HostOf(proxy, "pbx1"));
        Assert.Equal(addressA, HostOf(proxy, "pbx2"));
        Assert.Contains("proxy-only (no role 'ami'), hosts no PBX connection", proxy.Output);

        // With the only hosting worker gone, the proxy still connects nothing (its keep-alive reaches no region).
        a.Terminate();
        Assert.Equal(0, await a.WaitForExitAsync(TimeSpan.FromSeconds(45)));
        output.WriteLine($"hosting worker exited at {clock.Elapsed.TotalSeconds:0.0} s");
        await EventuallyAsync(() => _pbxs.All(p => p.Sessions.Count == 0), "the hosting worker's sessions closed", detail: Detail);
        await HoldsForAsync(() => _pbxs.All(p => p.Sessions.Count == 0 && p.ConnectionCount == 1), TimeSpan.FromSeconds(3), "no connection from the proxy-only worker", Detail);

        Assert.DoesNotContain("amp111", a.Output + proxy.Output);
        // The proxy alone has no shard coordinator to hand off to: its graceful stop would wait out the sharding timeout,
        // which tells nothing here; the test's disposal ends it.
    }
}
