using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AmiActors.Hosting;

/// <summary>
/// The <c>AmiActors</c> meter (System.Diagnostics.Metrics), readable with <c>dotnet-counters monitor --counters AmiActors</c>
/// or OpenTelemetry's <c>AddMeter("AmiActors")</c>. Every measurement carries the server id in the <c>ami.server</c> tag;
/// action instruments also carry the action name in <c>ami.action</c>.
/// </summary>
public sealed class AmiMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "AmiActors";

    /// <summary>The tag holding the server id.</summary>
    public const string ServerTag = "ami.server";

    /// <summary>The tag holding the action name.</summary>
    public const string ActionTag = "ami.action";

    private readonly Meter _meter;
    private readonly Counter<long> _eventsReceived;
    private readonly Counter<long> _actionsSent;
    private readonly Counter<long> _actionsFailed;
    private readonly Counter<long> _actionsTimedOut;
    private readonly UpDownCounter<long> _actionsInFlight;
    private readonly Counter<long> _reconnects;
    private readonly Histogram<double> _roundTrip;
    private readonly ConcurrentDictionary<string, AmiServerStatus> _servers = new(StringComparer.Ordinal);

    // The state each server's last ConnectionStateChanged gave: newer than any poll reply, which the manager may have
    // sent before it learned of the change and which can arrive after it.
    private readonly ConcurrentDictionary<string, AmiConnectionState> _reportedStates = new(StringComparer.Ordinal);

    /// <summary>Creates the meter and its instruments.</summary>
    public AmiMetrics()
    {
        _meter = new Meter(MeterName, typeof(AmiMetrics).Assembly.GetName().Version?.ToString());
        _eventsReceived = _meter.CreateCounter<long>("ami.events.received", "{event}", "Events received from the server.");
        _meter.CreateObservableCounter("ami.events.dropped", ObserveDropped, "{event}", "Events dropped because subscribers or streams were too slow.");
        _actionsSent = _meter.CreateCounter<long>("ami.actions.sent", "{action}", "Actions sent through IAmiClient.");
        _actionsFailed = _meter.CreateCounter<long>("ami.actions.failed", "{action}", "Actions answered with Response: Error or failed (not sent, connection lost, refused).");
        _actionsTimedOut = _meter.CreateCounter<long>("ami.actions.timed_out", "{action}", "Actions that got no complete reply within their timeout.");
        _actionsInFlight = _meter.CreateUpDownCounter<long>("ami.actions.in_flight", "{action}", "Actions sent through IAmiClient and not yet answered.");
        _reconnects = _meter.CreateCounter<long>("ami.reconnects", "{reconnect}", "Times a connection was lost or an attempt failed and a reconnect was scheduled.");
        _roundTrip = _meter.CreateHistogram<double>("ami.action.duration", "ms", "Time from sending an action to its complete reply.");
        _meter.CreateObservableGauge("ami.connected", ObserveConnected, "{server}", "1 while the server is logged in, 0 otherwise.");
    }

    /// <summary>This instance's meter (several can share the name in one process).</summary>
    internal Meter Meter => _meter;

    /// <summary>Counts one received event.</summary>
    public void EventReceived(string serverId) => _eventsReceived.Add(1, new KeyValuePair<string, object?>(ServerTag, serverId));

    /// <summary>Counts a reconnect scheduled for a server.</summary>
    public void Reconnecting(string serverId) => _reconnects.Add(1, new KeyValuePair<string, object?>(ServerTag, serverId));

    /// <summary>
    /// Replaces the last known status of the servers (drop counters, states). A server's state from
    /// <see cref="StateChanged"/> wins over the polled one, which may predate it.
    /// </summary>
    public void UpdateServers(IReadOnlyList<AmiServerStatus> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        foreach (var s in servers)
        {
            _servers[s.ServerId] = _reportedStates.TryGetValue(s.ServerId, out var state) ? s with { State = state } : s;
        }
        foreach (var id in _servers.Keys)
        {
            if (!servers.Any(s => s.ServerId == id))
            {
                _servers.TryRemove(id, out _);
                _reportedStates.TryRemove(id, out _);
            }
        }
    }

    /// <summary>Records a connection state change (keeps the <c>ami.connected</c> gauge current between polls).</summary>
    public void StateChanged(ConnectionStateChanged change)
    {
        ArgumentNullException.ThrowIfNull(change);
        _reportedStates[change.ServerId] = change.Current;
        _servers.AddOrUpdate(change.ServerId,
            id => new AmiServerStatus(id, change.Current, null, 0),
            (_, old) => old with { State = change.Current });
        if (change.Current == AmiConnectionState.Reconnecting)
        {
            Reconnecting(change.ServerId);
        }
    }

    /// <summary>Marks the start of an action; dispose the returned scope with its outcome.</summary>
    internal ActionScope StartAction(string serverId, string actionName)
    {
        var tags = new TagList { { ServerTag, serverId }, { ActionTag, actionName } };
        _actionsSent.Add(1, tags);
        _actionsInFlight.Add(1, tags);
        return new ActionScope(this, tags, Stopwatch.GetTimestamp());
    }

    private IEnumerable<Measurement<long>> ObserveDropped() =>
        _servers.Values.Select(s => new Measurement<long>(s.EventsDropped, new KeyValuePair<string, object?>(ServerTag, s.ServerId)));

    private IEnumerable<Measurement<int>> ObserveConnected() =>
        _servers.Values.Select(s => new Measurement<int>(s.State == AmiConnectionState.Connected ? 1 : 0, new KeyValuePair<string, object?>(ServerTag, s.ServerId)));

    /// <summary>Disposes the meter.</summary>
    public void Dispose() => _meter.Dispose();

    /// <summary>One action being measured.</summary>
    internal readonly struct ActionScope(AmiMetrics metrics, TagList tags, long started)
    {
        /// <summary>A reply arrived (any status).</summary>
        public void Replied(bool success)
        {
            metrics._actionsInFlight.Add(-1, tags);
            metrics._roundTrip.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
            if (!success)
            {
                metrics._actionsFailed.Add(1, tags);
            }
        }

        /// <summary>No reply: timed out, failed or cancelled.</summary>
        public void Failed(Exception error)
        {
            metrics._actionsInFlight.Add(-1, tags);
            switch (error)
            {
                case AmiActionTimeoutException:
                    metrics._actionsTimedOut.Add(1, tags);
                    break;
                case AmiErrorResponseException:
                    metrics._roundTrip.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
                    metrics._actionsFailed.Add(1, tags);
                    break;
                case OperationCanceledException:
                    break;
                default:
                    metrics._actionsFailed.Add(1, tags);
                    break;
            }
        }
    }
}
