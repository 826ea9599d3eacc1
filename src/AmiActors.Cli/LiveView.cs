using System.Globalization;
using System.Text;
using AmiActors.Protocol;

namespace AmiActors.Cli;

/// <summary>What the demo watches: events per second, active calls, recent events, round-trip times. Thread-safe.</summary>
internal sealed class DemoStats
{
    private const int RecentCapacity = 12;
    private readonly object _gate = new();
    private readonly Queue<string> _recent = new();
    private readonly HashSet<string> _activeChannels = new(StringComparer.Ordinal);
    private readonly HashSet<string> _activeCalls = new(StringComparer.Ordinal);
    private long _events;
    private long _eventsAtLastTick;
    private double _eventsPerSecond;
    private long _callsCompleted;

    public TimeSpan? PingRoundTrip { get; private set; }

    public TimeSpan? ChannelsRoundTrip { get; private set; }

    public int? ChannelsReported { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>Counts an event and tracks channels (Newchannel/Hangup) and calls (by Linkedid).</summary>
    public void OnEvent(AmiMessage e)
    {
        lock (_gate)
        {
            _events++;
            string name = e.EventName ?? "?";
            string? channel = e.Get("Channel");
            string? linked = e.Get("Linkedid");
            switch (name)
            {
                case "Newchannel" when channel is not null:
                    _activeChannels.Add(channel);
                    if (linked is not null)
                    {
                        _activeCalls.Add(linked);
                    }
                    break;
                case "Hangup" when channel is not null:
                    _activeChannels.Remove(channel);
                    if (linked is not null && e.Get("Uniqueid") == linked && _activeCalls.Remove(linked))
                    {
                        _callsCompleted++;
                    }
                    break;
            }
            _recent.Enqueue(Describe(name, e));
            while (_recent.Count > RecentCapacity)
            {
                _recent.Dequeue();
            }
        }
    }

    private static string Describe(string name, AmiMessage e)
    {
        var sb = new StringBuilder(name);
        foreach (var key in (ReadOnlySpan<string>)["Channel", "ChannelStateDesc", "DestChannel", "Queue", "BridgeUniqueid", "Cause-txt", "Variable", "Exten"])
        {
            if (e.Get(key) is { Length: > 0 } value)
            {
                sb.Append(' ').Append(key).Append('=').Append(value);
            }
        }
        return sb.ToString();
    }

    public void OnRoundTrips(TimeSpan ping, TimeSpan channels, int channelCount)
    {
        lock (_gate)
        {
            PingRoundTrip = ping;
            ChannelsRoundTrip = channels;
            ChannelsReported = channelCount;
            LastError = null;
        }
    }

    public void OnError(string error)
    {
        lock (_gate)
        {
            LastError = error;
        }
    }

    /// <summary>Closes a one-second window for the events/s figure.</summary>
    public void Tick(TimeSpan window)
    {
        lock (_gate)
        {
            _eventsPerSecond = (_events - _eventsAtLastTick) / window.TotalSeconds;
            _eventsAtLastTick = _events;
        }
    }

    public DemoSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new DemoSnapshot(_events, _eventsPerSecond, _activeCalls.Count, _activeChannels.Count, _callsCompleted,
                PingRoundTrip, ChannelsRoundTrip, ChannelsReported, LastError, _recent.ToArray());
        }
    }
}

/// <summary>One frame of the live view.</summary>
internal sealed record DemoSnapshot(long Events, double EventsPerSecond, int ActiveCalls, int ActiveChannels, long CallsCompleted,
    TimeSpan? PingRoundTrip, TimeSpan? ChannelsRoundTrip, int? ChannelsReported, string? LastError, IReadOnlyList<string> Recent);

/// <summary>Draws the demo: a redrawn screen on a terminal, one plain line per tick otherwise.</summary>
internal static class LiveView
{
    /// <summary>ANSI: cursor home, clear screen.</summary>
    private const string Clear = "\u001b[H\u001b[2J";

    public static string Line(TimeSpan elapsed, DemoSnapshot s) => string.Create(CultureInfo.InvariantCulture,
        $"t={elapsed.TotalSeconds:0}s events={s.Events} events/s={s.EventsPerSecond:0} active-calls={s.ActiveCalls} active-channels={s.ActiveChannels} completed-calls={s.CallsCompleted} ping={Ms(s.PingRoundTrip)} coreshowchannels={Ms(s.ChannelsRoundTrip)}{(s.LastError is null ? "" : " error=" + s.LastError)}");

    public static string Screen(TimeSpan elapsed, DemoSnapshot s, string serverDescription, double rate, int width)
    {
        width = Math.Clamp(width, 40, 200);
        var sb = new StringBuilder(Clear);
        sb.Append(CultureInfo.InvariantCulture, $"ami demo: simulated Asterisk at {serverDescription}, {rate:0.#} new calls/s. Ctrl+C to stop.\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"  running          {elapsed:hh\\:mm\\:ss}\n");
        sb.Append(CultureInfo.InvariantCulture, $"  events           {s.Events}  ({s.EventsPerSecond:0}/s)\n");
        sb.Append(CultureInfo.InvariantCulture, $"  active calls     {s.ActiveCalls}  ({s.ActiveChannels} channels; {s.CallsCompleted} calls completed)\n");
        sb.Append(CultureInfo.InvariantCulture, $"  Ping             {Ms(s.PingRoundTrip)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"  CoreShowChannels {Ms(s.ChannelsRoundTrip)}  ({(s.ChannelsReported is { } n ? n.ToString(CultureInfo.InvariantCulture) : "-")} channels listed)\n");
        if (s.LastError is not null)
        {
            sb.Append("  last error       ").Append(s.LastError).Append('\n');
        }
        sb.Append("\n  recent events\n");
        foreach (var line in s.Recent)
        {
            string text = "    " + line;
            sb.Append(text.Length > width ? text[..(width - 1)] + "…" : text).Append('\n');
        }
        return sb.ToString();
    }

    private static string Ms(TimeSpan? t) => t is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v.TotalMilliseconds:0.00}ms") : "-";
}
