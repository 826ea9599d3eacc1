using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AmiActors.Benchmarks;

/// <summary>
/// The best existing AMI client, node's <c>asterisk-manager</c> 0.2.0, as the <c>external</c> harness's path <c>node</c>: every
/// round runs <c>node bench.js events|pings ...</c> from <c>tests/AmiActors.Benchmarks/peers/node-asterisk-manager</c> (or
/// <c>--node-peer DIR</c>) as a child process, which prints one line of JSON. The secret goes to it in <c>AMI_SECRET</c>, never
/// on its command line. Nothing is skipped: without node or the installed package the harness stops and says what to run.
/// </summary>
internal sealed class NodePeer
{
    public const string PinnedVersion = "0.2.0";

    private const string PeerPath = "tests/AmiActors.Benchmarks/peers/node-asterisk-manager";
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromMinutes(5);

    private NodePeer(string directory, string nodeVersion)
    {
        Directory = directory;
        NodeVersion = nodeVersion;
    }

    /// <summary>The peer's folder (package.json, bench.js, node_modules).</summary>
    public string Directory { get; }

    /// <summary>What <c>node --version</c> printed.</summary>
    public string NodeVersion { get; }

    /// <summary>One run's figures; <see cref="CpuSeconds"/>: the node process's user + system CPU over the timed Pings (null for events).</summary>
    public sealed record Result(long Count, double Seconds, double Rate, long PeakRssKb, bool Matched, long? Announced, double? CpuSeconds = null);

    /// <summary>
    /// Finds the peer (<paramref name="option"/>, else <c>tests/AmiActors.Benchmarks/peers/node-asterisk-manager</c> above the
    /// benchmark binary or the working directory), checks that <c>node</c> runs and that <c>node_modules</c> holds
    /// asterisk-manager 0.2.0; on failure returns null and the reason, with the command that fixes it.
    /// </summary>
    public static async Task<(NodePeer? Peer, string? Error)> LocateAsync(string? option)
    {
        string? directory = option is not null ? Path.GetFullPath(option) : Find();
        if (directory is null)
        {
            return (null, $"the node peer ({PeerPath}) was not found above {AppContext.BaseDirectory} or the working directory: "
                + "run from a checkout of the repository or pass --node-peer DIR");
        }
        if (!File.Exists(Path.Combine(directory, "bench.js")))
        {
            return (null, $"{directory} has no bench.js (--node-peer must name {PeerPath})");
        }
        string install = $"npm ci --prefix {Shown(directory)}";
        string? nodeVersion;
        try
        {
            var (exit, output, _) = await RunAsync(directory, ["--version"], null, TimeSpan.FromSeconds(30));
            nodeVersion = exit == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            nodeVersion = null;
        }
        if (nodeVersion is null)
        {
            return (null, $"`node` is not on PATH (the node path needs Node.js 18 or later, then `{install}`)");
        }
        string manifest = Path.Combine(directory, "node_modules", "asterisk-manager", "package.json");
        if (!File.Exists(manifest))
        {
            return (null, $"asterisk-manager is not installed in {Shown(directory)}/node_modules: run `{install}`");
        }
        string? installed = JsonDocument.Parse(File.ReadAllText(manifest)).RootElement.TryGetProperty("version", out var v) ? v.GetString() : null;
        if (installed != PinnedVersion)
        {
            return (null, $"{Shown(directory)}/node_modules has asterisk-manager {installed ?? "(no version)"}, the benchmark pins {PinnedVersion}: run `{install}`");
        }
        return (new NodePeer(directory, nodeVersion), null);
    }

    /// <summary>One flood: counts every event until FloodComplete, in a fresh node process.</summary>
    public Task<Result> EventsAsync(string host, int port, string username, string secret, int count) =>
        RunBenchAsync("events", host, port, username, secret, count, []);

    /// <summary><paramref name="count"/> Pings, <paramref name="inflight"/> awaiting replies at a time, after <paramref name="warmup"/> untimed ones, in a fresh node process.</summary>
    public Task<Result> PingsAsync(string host, int port, string username, string secret, int count, int inflight, int warmup) =>
        RunBenchAsync("pings", host, port, username, secret, count,
            ["--inflight", inflight.ToString(CultureInfo.InvariantCulture), "--warmup", warmup.ToString(CultureInfo.InvariantCulture)]);

    private async Task<Result> RunBenchAsync(string mode, string host, int port, string username, string secret, int count, string[] extra)
    {
        string[] args =
        [
            Path.Combine(Directory, "bench.js"), mode, "--host", host, "--port", port.ToString(CultureInfo.InvariantCulture), "--user", username,
            "--count", count.ToString(CultureInfo.InvariantCulture), "--timeout", ((int)s_runTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), .. extra,
        ];
        var (exit, output, error) = await RunAsync(Directory, args, secret, s_runTimeout + TimeSpan.FromSeconds(30));
        if (exit != 0)
        {
            throw new NodePeerException($"node asterisk-manager ({mode}) exited {exit}: {error.Trim()}");
        }
        string line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? throw new NodePeerException($"node asterisk-manager ({mode}) printed no result");
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(line).RootElement;
        }
        catch (JsonException e)
        {
            throw new NodePeerException($"node asterisk-manager ({mode}) printed '{line}', not its JSON result: {e.Message}");
        }
        bool events = mode == "events";
        long? announced = events && json.GetProperty("floodCompleteCount").ValueKind == JsonValueKind.Number ? json.GetProperty("floodCompleteCount").GetInt64() : null;
        return new Result(
            json.GetProperty(events ? "events" : "pings").GetInt64(),
            json.GetProperty("seconds").GetDouble(),
            json.GetProperty(events ? "eventsPerSecond" : "pingsPerSecond").GetDouble(),
            json.GetProperty("maxRssKb").GetInt64(),
            !events || json.GetProperty("matched").GetBoolean(),
            announced,
            json.TryGetProperty("cpuSeconds", out var cpu) && cpu.ValueKind == JsonValueKind.Number ? cpu.GetDouble() : null);
    }

    // Runs node with ARGS in DIRECTORY; kills it (and its children) past the timeout.
    private static async Task<(int Exit, string Output, string Error)> RunAsync(string directory, string[] args, string? secret, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        if (secret is not null)
        {
            info.Environment["AMI_SECRET"] = secret;
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new NodePeerException($"node {string.Join(' ', args.Take(2))} did not finish within {timeout.TotalSeconds:0} s and was killed");
        }
        return (process.ExitCode, await output, await error);
    }

    private static string? Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, System.IO.Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, PeerPath);
                if (File.Exists(Path.Combine(dir.FullName, "AmiActors.sln")) && System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    // The folder as a user would type it from here: relative when it is under the working directory.
    private static string Shown(string directory)
    {
        string relative = Path.GetRelativePath(System.IO.Directory.GetCurrentDirectory(), directory);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? directory : relative;
    }
}

/// <summary>A node run that failed (refused connection, bad login, timeout): the message is the peer's own one-line error.</summary>
internal sealed class NodePeerException(string message) : Exception(message);
