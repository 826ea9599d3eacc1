using System.Globalization;
using System.Text;

namespace AmiActors.Cli;

/// <summary>What the cluster demo watches: events received per node and per PBX, and which node hosts which PBX. Thread-safe.</summary>
internal sealed class ClusterDemoStats
{
    private const int NotesCapacity = 8;
    private readonly object _gate = new();
    private readonly IReadOnlyList<string> _nodes;
    private readonly IReadOnlyList<string> _servers;
    private readonly long[] _received;
    private readonly long[] _receivedAtTick;
    private readonly double[] _receivedRate;
    private readonly bool[] _crashed;
    private readonly Dictionary<string, long> _serverEvents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _serverEventsAtTick = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _serverRate = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string? Host, AmiConnectionState State)> _hosts = new(StringComparer.Ordinal);
    private readonly Queue<string> _notes = new();

    public ClusterDemoStats(IReadOnlyList<string> nodes, IReadOnlyList<string> servers)
    {
        _nodes = nodes;
        _servers = servers;
        _received = new long[nodes.Count];
        _receivedAtTick = new long[nodes.Count];
        _receivedRate = new double[nodes.Count];
        _crashed = new bool[nodes.Count];
        foreach (var s in servers)
        {
            _serverEvents[s] = 0;
            _serverEventsAtTick[s] = 0;
            _serverRate[s] = 0;
        }
    }

    /// <summary>An event of <paramref name="serverId"/> received by a subscriber on node <paramref name="node"/> (0-based); the first node's count per PBX.</summary>
    public void OnEvent(int node, string serverId)
    {
        lock (_gate)
        {
            _received[node]++;
            if (node == 0 && _serverEvents.TryGetValue(serverId, out long n))
            {
                _serverEvents[serverId] = n + 1;
            }
        }
    }

    /// <summary>Records where a server is hosted; returns the previous host when the server moved to another node.</summary>
    public string? SetHost(string serverId, string? host, AmiConnectionState state)
    {
        lock (_gate)
        {
            _hosts.TryGetValue(serverId, out var previous);
            // A server between hosts keeps showing its last host until a new one reports.
            _hosts[serverId] = (host ?? previous.Host, state);
            return host is not null && previous.Host is not null && previous.Host != host ? previous.Host : null;
        }
    }

    public IReadOnlyList<string> HostedBy(string node)
    {
        lock (_gate)
        {
            return _servers.Where(s => _hosts.TryGetValue(s, out var h) && h.Host == node).ToList();
        }
    }

    public void OnCrash(string node)
    {
        lock (_gate)
        {
            int i = IndexOf(node);
            _crashed[i] = true;
            _receivedRate[i] = 0;
        }
    }

    public void AddNotes(IEnumerable<string> notes)
    {
        lock (_gate)
        {
            foreach (var note in notes)
            {
                _notes.Enqueue(note);
            }
            while (_notes.Count > NotesCapacity)
            {
                _notes.Dequeue();
            }
        }
    }

    /// <summary>Closes a window for the events/s figures.</summary>
    public void Tick(TimeSpan window)
    {
        lock (_gate)
        {
            for (int i = 0; i < _received.Length; i++)
            {
                _receivedRate[i] = _crashed[i] ? 0 : (_received[i] - _receivedAtTick[i]) / window.TotalSeconds;
                _receivedAtTick[i] = _received[i];
            }
            foreach (var s in _servers)
            {
                _serverRate[s] = (_serverEvents[s] - _serverEventsAtTick[s]) / window.TotalSeconds;
                _serverEventsAtTick[s] = _serverEvents[s];
            }
        }
    }

    public ClusterSnapshot Snapshot()
    {
        lock (_gate)
        {
            var servers = _servers.Select(s =>
            {
                (string? host, AmiConnectionState state) = _hosts.TryGetValue(s, out var h) ? h : (null, AmiConnectionState.Connecting);
                return new PbxSnapshot(s, host, state, _serverEvents[s], _serverRate[s]);
            }).ToList();
            var nodes = _nodes.Select((n, i) =>
            {
                var hosted = servers.Where(s => s.Host == n && !_crashed[i]).ToList();
                return new NodeSnapshot(n, !_crashed[i], hosted.Select(s => s.Id).ToList(), hosted.Sum(s => s.EventsPerSecond), _received[i], _receivedRate[i]);
            }).ToList();
            return new ClusterSnapshot(nodes, servers, _notes.ToArray());
        }
    }

    private int IndexOf(string node)
    {
        for (int i = 0; i < _nodes.Count; i++)
        {
            if (_nodes[i] == node)
            {
                return i;
            }
        }
        throw new ArgumentException($"unknown node {node}", nameof(node));
    }
}

/// <summary>One PBX in a frame: its hosting node and the events/s its subscriber on the first node receives.</summary>
internal sealed record PbxSnapshot(string Id, string? Host, AmiConnectionState State, long Events, double EventsPerSecond);

/// <summary>One node in a frame: the PBXs it hosts and their events/s, and the events/s its own subscriber receives from every PBX.</summary>
internal sealed record NodeSnapshot(string Name, bool Up, IReadOnlyList<string> Hosts, double HostedEventsPerSecond, long Received, double ReceivedPerSecond);

/// <summary>One frame of the cluster demo.</summary>
internal sealed record ClusterSnapshot(IReadOnlyList<NodeSnapshot> Nodes, IReadOnlyList<PbxSnapshot> Pbxs, IReadOnlyList<string> Notes);

/// <summary>Draws the cluster demo: a redrawn screen on a terminal, plain lines per tick otherwise.</summary>
internal static class ClusterLiveView
{
    private const string Clear = "\u001b[H\u001b[2J";

    /// <summary>One line per PBX (<c>t=3s pbx1 node=node2 state=Connected events=120 events/s=40</c>), then one per node.</summary>
    public static IEnumerable<string> Lines(TimeSpan elapsed, ClusterSnapshot s)
    {
        string t = string.Create(CultureInfo.InvariantCulture, $"t={elapsed.TotalSeconds:0}s");
        foreach (var p in s.Pbxs)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{t} {p.Id} node={p.Host ?? "-"} state={p.State} events={p.Events} events/s={p.EventsPerSecond:0}");
        }
        foreach (var n in s.Nodes)
        {
            yield return n.Up
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{t} {n.Name} up hosts={(n.Hosts.Count == 0 ? "-" : string.Join(",", n.Hosts))} hosted-events/s={n.HostedEventsPerSecond:0} received={n.Received} received-events/s={n.ReceivedPerSecond:0}")
                : $"{t} {n.Name} crashed";
        }
    }

    public static string Screen(string header, TimeSpan elapsed, ClusterSnapshot s)
    {
        var sb = new StringBuilder(Clear);
        sb.Append(header).Append(" Ctrl+C to stop.\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"  running {elapsed:hh\\:mm\\:ss}\n\n");
        sb.Append("  node    state    hosts                 hosted events/s   received events/s\n");
        foreach (var n in s.Nodes)
        {
            string hosts = n.Hosts.Count == 0 ? "-" : string.Join(",", n.Hosts);
            sb.Append(CultureInfo.InvariantCulture,
                $"  {n.Name,-7} {(n.Up ? "up" : "crashed"),-8} {hosts,-21} {(n.Up ? n.HostedEventsPerSecond.ToString("0", CultureInfo.InvariantCulture) : "-"),17}   {(n.Up ? n.ReceivedPerSecond.ToString("0", CultureInfo.InvariantCulture) : "-"),17}\n");
        }
        sb.Append("\n  pbx     hosted on  state               events   events/s\n");
        foreach (var p in s.Pbxs)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {p.Id,-7} {p.Host ?? "-",-10} {p.State,-17} {p.Events,8}   {p.EventsPerSecond,8:0}\n");
        }
        if (s.Notes.Count > 0)
        {
            sb.Append('\n');
            foreach (var note in s.Notes)
            {
                sb.Append("  ").Append(note).Append('\n');
            }
        }
        return sb.ToString();
    }
}
