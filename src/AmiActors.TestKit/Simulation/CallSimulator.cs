using System.Diagnostics;
using System.Globalization;
using AmiActors.Protocol;

namespace AmiActors.TestKit.Simulation;

/// <summary>The shape of the simulated traffic.</summary>
public sealed record CallSimulatorOptions
{
    /// <summary>New calls per second (fractions accumulate: 0.5 is one call every two seconds).</summary>
    public double CallsPerSecond { get; init; } = 5;

    /// <summary>Shortest talk time of an answered call.</summary>
    public TimeSpan MinTalkTime { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Longest talk time of an answered call.</summary>
    public TimeSpan MaxTalkTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Share of calls that wait in a queue before an agent is dialled (0 to 1).</summary>
    public double QueueShare { get; init; } = 0.4;

    /// <summary>Share of dialled agents who answer (0 to 1); the others ring out (NOANSWER).</summary>
    public double AnswerShare { get; init; } = 0.8;

    /// <summary>Share of answered calls put on hold once (0 to 1).</summary>
    public double HoldShare { get; init; } = 0.25;

    /// <summary>Seed of the random choices; the same seed and the same clock give the same events.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Stops starting new calls past this many in progress (calls already started finish).</summary>
    public int MaxActiveCalls { get; init; } = 10_000;
}

/// <summary>One channel the simulator has up, as <c>CoreShowChannels</c> would list it.</summary>
/// <param name="Channel">Channel name (<c>PJSIP/2001-0000002a</c>).</param>
/// <param name="Uniqueid">Its unique id.</param>
/// <param name="Linkedid">The call's linked id (the caller's unique id).</param>
/// <param name="State">Channel state number (4 Ring, 5 Ringing, 6 Up).</param>
/// <param name="CallerIdNum">Caller number.</param>
/// <param name="CallerIdName">Caller name.</param>
/// <param name="Context">Dialplan context.</param>
/// <param name="Exten">Dialplan extension.</param>
/// <param name="Application">The application running (Dial, Queue, AppDial).</param>
/// <param name="BridgeId">The bridge it is in, or empty.</param>
/// <param name="Created">Simulator time the channel was created.</param>
public sealed record SimulatedChannel(string Channel, string Uniqueid, string Linkedid, int State, string CallerIdNum, string CallerIdName,
    string Context, string Exten, string Application, string BridgeId, TimeSpan Created);

/// <summary>
/// A call-load generator for a fake Asterisk: inbound calls that ring, optionally wait in a queue, are dialled to agents
/// who answer or ring out, get bridged, optionally held, and hang up; with the events Asterisk 22 sends for them
/// (Newchannel, VarSet, Newexten, Newstate, QueueCallerJoin/Leave, DialBegin/DialEnd, BridgeCreate/Enter/Leave/Destroy,
/// Hold/Unhold, HangupRequest, Hangup), field sets as captured from Asterisk 22.10.1.
/// The simulator only produces messages: hand each to your server's broadcast through the <c>publish</c> callback.
/// Time is explicit: drive it with <see cref="Advance"/> (deterministic, for tests) or <see cref="RunAsync"/> (wall clock).
/// </summary>
public sealed class CallSimulator
{
    private static readonly string[] FirstNames = ["Ana", "Bruno", "Chloé", "Dmitri", "Emeka", "Fatima", "Jürgen", "Kenji", "Lucía", "Mei", "Noor", "Olu"];
    private static readonly string[] LastNames = ["Silva", "Müller", "Okafor", "Tanaka", "García", "Nowak", "Haddad", "Smith", "Ñandú", "Rossi"];
    private static readonly string[] Queues = ["sales", "support", "billing"];

    private readonly CallSimulatorOptions _options;
    private readonly Action<AmiMessage> _publish;
    private readonly Random _random;
    private readonly PriorityQueue<Action, (TimeSpan Due, long Order)> _agenda = new();
    private readonly Dictionary<string, SimulatedChannel> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _queueCounts = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly long _epoch;
    private TimeSpan _now;
    private double _callCredit;
    private long _order;
    private long _uniqueSeq;
    private int _channelSeq;
    private int _activeCalls;
    private double _callsPerSecond;

    /// <summary>Creates a simulator publishing each event through <paramref name="publish"/> (called under a lock, in order).</summary>
    public CallSimulator(Action<AmiMessage> publish, CallSimulatorOptions? options = null)
    {
        _publish = publish ?? throw new ArgumentNullException(nameof(publish));
        _options = options ?? new CallSimulatorOptions();
        if (_options.CallsPerSecond < 0 || double.IsNaN(_options.CallsPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "CallsPerSecond must be 0 or more.");
        }
        if (_options.MinTalkTime < TimeSpan.Zero || _options.MaxTalkTime < _options.MinTalkTime)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Talk times must satisfy 0 <= MinTalkTime <= MaxTalkTime.");
        }
        _callsPerSecond = _options.CallsPerSecond;
        _random = new Random(_options.Seed);
        _epoch = 1_795_433_995 + _options.Seed;
    }

    /// <summary>New calls per second from now on (starts at <see cref="CallSimulatorOptions.CallsPerSecond"/>; 0 lets the calls in progress finish).</summary>
    public double CallsPerSecond
    {
        get => Volatile.Read(ref _callsPerSecond);
        set
        {
            if (value < 0 || double.IsNaN(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), "CallsPerSecond must be 0 or more.");
            }
            Volatile.Write(ref _callsPerSecond, value);
        }
    }

    /// <summary>Calls started so far.</summary>
    public long CallsStarted { get; private set; }

    /// <summary>Calls fully hung up so far.</summary>
    public long CallsCompleted { get; private set; }

    /// <summary>Events published so far.</summary>
    public long EventsPublished { get; private set; }

    /// <summary>Calls in progress.</summary>
    public int ActiveCalls
    {
        get
        {
            lock (_gate)
            {
                return _activeCalls;
            }
        }
    }

    /// <summary>The channels up now, oldest first.</summary>
    public IReadOnlyList<SimulatedChannel> Channels
    {
        get
        {
            lock (_gate)
            {
                return _channels.Values.OrderBy(c => c.Created).ToList();
            }
        }
    }

    /// <summary>
    /// The <c>CoreShowChannel</c> items for the channels up now (headers without ActionID, first <c>Event</c>), as a fake
    /// server lists them after its Success response and before <c>CoreShowChannelsComplete</c>.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<(string Name, string Value)>> CoreShowChannelsItems()
    {
        lock (_gate)
        {
            return _channels.Values.OrderBy(c => c.Created).Select(c => (IReadOnlyList<(string, string)>)
            [
                ("Event", "CoreShowChannel"),
                ("Channel", c.Channel), ("ChannelState", Num(c.State)), ("ChannelStateDesc", StateDesc(c.State)),
                ("CallerIDNum", c.CallerIdNum), ("CallerIDName", c.CallerIdName), ("ConnectedLineNum", "<unknown>"), ("ConnectedLineName", "<unknown>"),
                ("Language", "en"), ("AccountCode", ""), ("Context", c.Context), ("Exten", c.Exten), ("Priority", "1"),
                ("Uniqueid", c.Uniqueid), ("Linkedid", c.Linkedid), ("Application", c.Application), ("ApplicationData", ""),
                ("Duration", Duration(_now - c.Created)), ("BridgeId", c.BridgeId),
            ]).ToList();
        }
    }

    /// <summary>Moves simulated time forward: starts the calls due at the configured rate and plays every step that falls due.</summary>
    public void Advance(TimeSpan elapsed)
    {
        if (elapsed < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(elapsed), "Time only moves forward.");
        }
        lock (_gate)
        {
            var end = _now + elapsed;
            _callCredit += CallsPerSecond * elapsed.TotalSeconds;
            int toStart = (int)Math.Floor(_callCredit);
            _callCredit -= toStart;
            for (int i = 0; i < toStart; i++)
            {
                // Spread the new calls over the interval so a large step does not start them all at once.
                var at = _now + elapsed * ((i + 1.0) / (toStart + 1.0));
                At(at, StartCall);
            }
            while (_agenda.TryPeek(out _, out var key) && key.Due <= end)
            {
                var step = _agenda.Dequeue();
                _now = key.Due;
                step();
            }
            _now = end;
        }
    }

    /// <summary>Runs on the wall clock (steps of about 50 ms) until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        long last = Stopwatch.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                Advance(Stopwatch.GetElapsedTime(last, now));
                last = now;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private void At(TimeSpan due, Action step) => _agenda.Enqueue(step, (due, _order++));

    private TimeSpan After(double minSeconds, double maxSeconds) => _now + TimeSpan.FromSeconds(minSeconds + _random.NextDouble() * (maxSeconds - minSeconds));

    private string NextUniqueid() => string.Create(CultureInfo.InvariantCulture, $"{_epoch + (long)_now.TotalSeconds}.{_uniqueSeq++}");

    private SimulatedChannel NewChannel(string tech, string linkedid, int state, string num, string name, string context, string exten, string app)
    {
        string uniqueid = NextUniqueid();
        var channel = new SimulatedChannel(string.Create(CultureInfo.InvariantCulture, $"{tech}-{++_channelSeq:x8}"), uniqueid,
            linkedid.Length == 0 ? uniqueid : linkedid, state, num, name, context, exten, app, "", _now);
        _channels[channel.Channel] = channel;
        return channel;
    }

    private void StartCall()
    {
        if (_activeCalls >= _options.MaxActiveCalls)
        {
            return;
        }
        _activeCalls++;
        CallsStarted++;
        string number = string.Create(CultureInfo.InvariantCulture, $"+1555{_random.Next(1_000_000, 9_999_999)}");
        string name = $"{FirstNames[_random.Next(FirstNames.Length)]} {LastNames[_random.Next(LastNames.Length)]}";
        string did = string.Create(CultureInfo.InvariantCulture, $"{_random.Next(100, 999)}");
        var caller = NewChannel("PJSIP/trunk", "", 4, number, name, "from-external", did, "Dial");
        Publish("Newchannel", "call,all", caller);
        Publish("VarSet", "dialplan,all", caller, ("Variable", "__CALL_ID"), ("Value", caller.Uniqueid));
        Publish("Newexten", "dialplan,all", caller, ("Extension", did), ("Application", "Answer"), ("AppData", ""));
        caller = Update(caller, c => c with { State = 6 });
        Publish("Newstate", "call,all", caller);
        if (_random.NextDouble() < _options.QueueShare)
        {
            string queue = Queues[_random.Next(Queues.Length)];
            caller = Update(caller, c => c with { Application = "Queue" });
            Publish("Newexten", "dialplan,all", caller, ("Extension", did), ("Application", "Queue"), ("AppData", queue));
            int position = _queueCounts[queue] = _queueCounts.GetValueOrDefault(queue) + 1;
            Publish("QueueCallerJoin", "agent,all", caller, ("Queue", queue), ("Position", Num(position)), ("Count", Num(position)));
            At(After(1, 6), () =>
            {
                if (!_channels.ContainsKey(caller.Channel))
                {
                    return;
                }
                int count = _queueCounts[queue] = Math.Max(0, _queueCounts[queue] - 1);
                Publish("QueueCallerLeave", "agent,all", Current(caller), ("Queue", queue), ("Position", "1"), ("Count", Num(count)));
                DialAgent(caller.Channel);
            });
        }
        else
        {
            Publish("Newexten", "dialplan,all", caller, ("Extension", did), ("Application", "Dial"), ("AppData", "PJSIP/agents,30"));
            At(After(0.1, 0.5), () => DialAgent(caller.Channel));
        }
    }

    private void DialAgent(string callerChannel)
    {
        var caller = _channels[callerChannel];
        string agentExt = string.Create(CultureInfo.InvariantCulture, $"2{_random.Next(0, 50):000}");
        var agent = NewChannel($"PJSIP/{agentExt}", caller.Linkedid, 0, agentExt, $"Agent {agentExt}", "agents", agentExt, "AppDial");
        Publish("Newchannel", "call,all", agent);
        PublishDial("DialBegin", caller, agent, ("DialString", agentExt));
        agent = Update(agent, a => a with { State = 5 });
        Publish("Newstate", "call,all", agent);
        bool answers = _random.NextDouble() < _options.AnswerShare;
        At(After(1, 5), () =>
        {
            if (!answers)
            {
                PublishDial("DialEnd", Current(caller), Current(agent), ("DialStatus", "NOANSWER"));
                HangUp(agent.Channel, 19, "No answer");
                HangUp(caller.Channel, 16, "Normal Clearing");
                CallEnded();
                return;
            }
            agent = Update(agent, a => a with { State = 6 });
            Publish("Newstate", "call,all", agent);
            PublishDial("DialEnd", Current(caller), agent, ("DialStatus", "ANSWER"));
            string bridge = Guid(_random);
            var bridgeFields = BridgeFields(bridge, 0);
            Publish("BridgeCreate", "call,all", null, bridgeFields);
            Update(caller, c => c with { BridgeId = bridge });
            Update(agent, a => a with { BridgeId = bridge });
            Publish("BridgeEnter", "call,all", Current(caller), BridgeFields(bridge, 1), first: true);
            Publish("BridgeEnter", "call,all", Current(agent), BridgeFields(bridge, 2), first: true);
            var talk = After(_options.MinTalkTime.TotalSeconds, _options.MaxTalkTime.TotalSeconds);
            if (_random.NextDouble() < _options.HoldShare)
            {
                var holdAt = _now + (talk - _now) * 0.3;
                var unholdAt = _now + (talk - _now) * 0.6;
                At(holdAt, () => Publish("Hold", "call,all", Current(caller), ("MusicClass", "default")));
                At(unholdAt, () => Publish("Unhold", "call,all", Current(caller)));
            }
            At(talk, () =>
            {
                Publish("HangupRequest", "call,all", Current(agent), ("Cause", "16"));
                Publish("BridgeLeave", "call,all", Current(agent), BridgeFields(bridge, 1), first: true);
                Publish("BridgeLeave", "call,all", Current(caller), BridgeFields(bridge, 0), first: true);
                Publish("BridgeDestroy", "call,all", null, BridgeFields(bridge, 0));
                HangUp(agent.Channel, 16, "Normal Clearing");
                HangUp(caller.Channel, 16, "Normal Clearing");
                CallEnded();
            });
        });
    }

    private void CallEnded()
    {
        _activeCalls--;
        CallsCompleted++;
    }

    private void HangUp(string channel, int cause, string causeText)
    {
        if (_channels.Remove(channel, out var c))
        {
            Publish("Hangup", "call,all", c, ("Cause", Num(cause)), ("Cause-txt", causeText));
        }
    }

    private SimulatedChannel Current(SimulatedChannel c) => _channels.TryGetValue(c.Channel, out var now) ? now : c;

    private SimulatedChannel Update(SimulatedChannel c, Func<SimulatedChannel, SimulatedChannel> change)
    {
        var updated = change(Current(c));
        _channels[c.Channel] = updated;
        return updated;
    }

    private static (string, string)[] BridgeFields(string bridge, int count) =>
    [
        ("BridgeUniqueid", bridge), ("BridgeType", "basic"), ("BridgeTechnology", "simple_bridge"), ("BridgeCreator", "<unknown>"),
        ("BridgeName", "<unknown>"), ("BridgeNumChannels", Num(count)), ("BridgeVideoSourceMode", "none"),
    ];

    private void Publish(string name, string privilege, SimulatedChannel? channel, params (string, string)[] extra) =>
        Publish(name, privilege, channel, extra, first: false);

    private void Publish(string name, string privilege, SimulatedChannel? channel, (string, string)[] extra, bool first)
    {
        var h = new List<(string, string)>(24) { ("Event", name), ("Privilege", privilege) };
        if (first)
        {
            h.AddRange(extra);
        }
        if (channel is not null)
        {
            AddChannel(h, "", channel);
        }
        if (!first)
        {
            h.AddRange(extra);
        }
        Emit(h);
    }

    private void PublishDial(string name, SimulatedChannel caller, SimulatedChannel agent, params (string, string)[] extra)
    {
        var h = new List<(string, string)>(40) { ("Event", name), ("Privilege", "call,all") };
        AddChannel(h, "", caller);
        AddChannel(h, "Dest", agent);
        h.AddRange(extra);
        Emit(h);
    }

    private void Emit(List<(string, string)> headers)
    {
        EventsPublished++;
        _publish(AmiMessage.Create(headers.ToArray()));
    }

    private static void AddChannel(List<(string, string)> h, string prefix, SimulatedChannel c)
    {
        h.Add((prefix + "Channel", c.Channel));
        h.Add((prefix + "ChannelState", Num(c.State)));
        h.Add((prefix + "ChannelStateDesc", StateDesc(c.State)));
        h.Add((prefix + "CallerIDNum", c.CallerIdNum));
        h.Add((prefix + "CallerIDName", c.CallerIdName));
        h.Add((prefix + "ConnectedLineNum", "<unknown>"));
        h.Add((prefix + "ConnectedLineName", "<unknown>"));
        h.Add((prefix + "Language", "en"));
        h.Add((prefix + "AccountCode", ""));
        h.Add((prefix + "Context", c.Context));
        h.Add((prefix + "Exten", c.Exten));
        h.Add((prefix + "Priority", "1"));
        h.Add((prefix + "Uniqueid", c.Uniqueid));
        h.Add((prefix + "Linkedid", c.Linkedid));
    }

    private static string StateDesc(int state) => state switch
    {
        0 => "Down",
        4 => "Ring",
        5 => "Ringing",
        6 => "Up",
        _ => "Unknown",
    };

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}");

    private static string Guid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new System.Guid(bytes).ToString();
    }
}
