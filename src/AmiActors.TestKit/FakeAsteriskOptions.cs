using System.Net;
using System.Security.Cryptography.X509Certificates;
using AmiActors.Protocol;

namespace AmiActors.TestKit;

/// <summary>How a simulated Originate ends (the <c>Reason</c> of the OriginateResponse event is the enum's value).</summary>
public enum FakeOriginateOutcome
{
    /// <summary>The call failed (Reason 0, <c>Response: Failure</c>; a sync Originate answers "Originate failed").</summary>
    Failed = 0,
    /// <summary>No answer before the timeout (Reason 3, <c>Response: Failure</c>).</summary>
    NoAnswer = 3,
    /// <summary>Answered (Reason 4, <c>Response: Success</c>).</summary>
    Answered = 4,
    /// <summary>Busy (Reason 5, <c>Response: Failure</c>).</summary>
    Busy = 5,
    /// <summary>Congestion (Reason 8, <c>Response: Failure</c>).</summary>
    Congestion = 8,
}

/// <summary>
/// Configuration of a <see cref="FakeAsteriskServer"/>. The defaults behave like the Asterisk 22.10.1 the fixtures
/// were captured from, with users <c>admin</c>/<c>amp111</c> and <c>reader</c>/<c>reader</c>, on 127.0.0.1 and a free port.
/// </summary>
public sealed record FakeAsteriskOptions
{
    /// <summary>The address to listen on (default 127.0.0.1).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The port to listen on; 0 (default) picks a free one (read it back from <see cref="FakeAsteriskServer.Port"/>).</summary>
    public int Port { get; init; }

    /// <summary>The AMI version in the banner (default <c>11.0.0</c>: <c>Asterisk Call Manager/11.0.0</c>).</summary>
    public string AmiVersion { get; init; } = "11.0.0";

    /// <summary>The Asterisk version reported by <c>core show version</c> (default 22.10.1).</summary>
    public string AsteriskVersion { get; init; } = "22.10.1";

    /// <summary>The manager users (default <see cref="FakeAmiUser.Admin"/> and <see cref="FakeAmiUser.Reader"/>).</summary>
    public IReadOnlyList<FakeAmiUser> Users { get; init; } = [FakeAmiUser.Admin, FakeAmiUser.Reader];

    /// <summary>How long a failed login waits before "Authentication failed" and the close (Asterisk sleeps 1 s).</summary>
    public TimeSpan FailedLoginDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>An unauthenticated session is closed after this long without a successful login (Asterisk's authtimeout, 30 s).</summary>
    public TimeSpan AuthTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many unauthenticated sessions; more are closed before the banner (Asterisk's authlimit, 50).</summary>
    public int AuthLimit { get; init; } = 50;

    /// <summary>True to send the <c>FullyBooted</c> event after a login whose mask includes <c>system</c> (default true, as Asterisk).</summary>
    public bool SendFullyBooted { get; init; } = true;

    /// <summary>True to raise the <c>SuccessfulAuth</c> security event after each login (default true, as Asterisk).</summary>
    public bool SendSuccessfulAuth { get; init; } = true;

    /// <summary>
    /// True to answer Command with the Asterisk 13 framing (<c>Response: Follows</c>, raw output, <c>--END COMMAND--</c>);
    /// false (default) for the modern <c>Message: Command output follows</c> + <c>Output:</c> lines.
    /// </summary>
    public bool LegacyCommandFraming { get; init; }

    /// <summary>
    /// CLI command outputs, by command text (matched case-insensitively, whitespace collapsed), lines separated by
    /// <c>\n</c>. They override the built-in commands (<c>core show version</c>, <c>core show uptime [seconds]</c>,
    /// <c>core show channels count</c>). Unknown commands get the real "No such command" error.
    /// </summary>
    public IReadOnlyDictionary<string, string> Commands { get; init; } = new Dictionary<string, string>();

    /// <summary>How long a simulated Originate takes to end (the delay before OriginateResponse, or before a sync reply). Default 50 ms.</summary>
    public TimeSpan OriginateDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How simulated Originates end when <see cref="OriginateOutcomeSelector"/> is null or returns null (default answered).</summary>
    public FakeOriginateOutcome OriginateOutcome { get; init; } = FakeOriginateOutcome.Answered;

    /// <summary>Chooses the outcome of each Originate from its action (null to use <see cref="OriginateOutcome"/>).</summary>
    public Func<AmiMessage, FakeOriginateOutcome?>? OriginateOutcomeSelector { get; init; }

    /// <summary>True to add a simulated channel for each answered Originate (listed until hung up or removed). Default false.</summary>
    public bool OriginateCreatesChannels { get; init; }

    /// <summary>True to serve AMI over TLS (like port 5039). The certificate is <see cref="Certificate"/>, or a self-signed one made at start.</summary>
    public bool UseTls { get; init; }

    /// <summary>The TLS server certificate (with private key); null to create a self-signed one for localhost/127.0.0.1.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// A write to a client that does not complete within this time drops the session, as Asterisk's writetimeout
    /// (100 ms there) disconnects clients that stop reading. Null (default) waits as long as it takes: a test machine's
    /// pauses should not drop test clients unless a test asks for it.
    /// </summary>
    public TimeSpan? WriteTimeout { get; init; }

    /// <summary>How many received actions the server (and each session) keeps for <see cref="FakeAsteriskServer.ReceivedActions"/>; older ones are forgotten. Default 100,000.</summary>
    public int MaxRecordedActions { get; init; } = 100_000;

    /// <summary>The system name used in generated values (SessionID, channel names do not use it). Default <c>amiactors-fake</c>.</summary>
    public string SystemName { get; init; } = "amiactors-fake";

    /// <summary>Prints the settings that matter for a test log; user secrets are never printed.</summary>
    public override string ToString() =>
        $"FakeAsteriskOptions({Address}:{Port}, AMI {AmiVersion}, {Users.Count} users, tls={UseTls}, legacyCommand={LegacyCommandFraming})";
}
