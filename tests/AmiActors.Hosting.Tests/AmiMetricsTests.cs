using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AmiActors.Hosting.Tests;

/// <summary>The <c>ami.connected</c> gauge against the order in which state changes and poll replies arrive.</summary>
public class AmiMetricsTests
{
    [Fact]
    public void A_poll_reply_older_than_the_last_state_change_does_not_bring_back_the_old_state()
    {
        using var metrics = new AmiMetrics();
        metrics.UpdateServers([new AmiServerStatus("pbx1", AmiConnectionState.Connected, "11.0.0", 0)]);
        Assert.Equal(1, Connected(metrics, "pbx1"));

        // The server drops; the manager's reply to a poll it answered just before arrives after the change.
        metrics.StateChanged(new ConnectionStateChanged("pbx1", AmiConnectionState.Connected, AmiConnectionState.Reconnecting, "socket closed"));
        metrics.UpdateServers([new AmiServerStatus("pbx1", AmiConnectionState.Connected, "11.0.0", 7)]);

        Assert.Equal(0, Connected(metrics, "pbx1"));
        Assert.Equal(7, Dropped(metrics, "pbx1")); // the rest of the poll still counts

        metrics.StateChanged(new ConnectionStateChanged("pbx1", AmiConnectionState.Reconnecting, AmiConnectionState.Connected));
        Assert.Equal(1, Connected(metrics, "pbx1"));
    }

    [Fact]
    public void A_server_known_only_from_polls_takes_its_polled_state_and_a_removed_server_is_forgotten()
    {
        using var metrics = new AmiMetrics();
        metrics.StateChanged(new ConnectionStateChanged("local", AmiConnectionState.Connecting, AmiConnectionState.Connected));
        metrics.UpdateServers([
            new AmiServerStatus("local", AmiConnectionState.Connecting, null, 0),
            new AmiServerStatus("remote", AmiConnectionState.Connected, null, 0),
        ]);
        Assert.Equal(1, Connected(metrics, "local"));
        Assert.Equal(1, Connected(metrics, "remote"));

        metrics.UpdateServers([new AmiServerStatus("remote", AmiConnectionState.Reconnecting, null, 0)]);
        Assert.Null(Connected(metrics, "local"));
        Assert.Equal(0, Connected(metrics, "remote"));

        // Added again later: its stale reported state is gone, the poll decides.
        metrics.UpdateServers([new AmiServerStatus("local", AmiConnectionState.Reconnecting, null, 0)]);
        Assert.Equal(0, Connected(metrics, "local"));
    }

    private static long? Connected(AmiMetrics metrics, string server) => Observe(metrics, "ami.connected", server);

    private static long? Dropped(AmiMetrics metrics, string server) => Observe(metrics, "ami.events.dropped", server);

    // One collection of the meter's observable instruments, as an exporter would do it.
    private static long? Observe(AmiMetrics metrics, string instrumentName, string server)
    {
        var seen = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == instrumentName)
            {
                l.EnableMeasurementEvents(instrument, metrics);
            }
        };
        void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == AmiMetrics.ServerTag && tag.Value is string id)
                {
                    seen[id] = value;
                }
            }
        }
        listener.SetMeasurementEventCallback<int>((_, value, tags, state) =>
        {
            if (ReferenceEquals(state, metrics))
            {
                Record(value, tags);
            }
        });
        listener.SetMeasurementEventCallback<long>((_, value, tags, state) =>
        {
            if (ReferenceEquals(state, metrics))
            {
                Record(value, tags);
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen.TryGetValue(server, out long v) ? v : null;
    }
}
