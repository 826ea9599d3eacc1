using System.Globalization;
using AmiActors.Protocol;
using AmiActors.TestKit.Internal;

namespace AmiActors.TestKit;

/// <summary>
/// Builders for common events in the layout Asterisk 22 uses (Event, Privilege, the channel snapshot headers, then
/// the event's own headers), to pass to <see cref="FakeAsteriskServer.EmitEventAsync(AmiMessage, CancellationToken)"/>.
/// </summary>
public static class FakeAmiEvents
{
    /// <summary>
    /// A channel event: <c>Event</c>, <c>Privilege</c> (from <paramref name="eventClass"/>), the channel snapshot (Channel,
    /// ChannelState, ..., Uniqueid, Linkedid), then <paramref name="headers"/>.
    /// </summary>
    public static AmiMessage ForChannel(string eventName, FakeChannel channel, FakeAmiPermissions eventClass = FakeAmiPermissions.Call, params (string Name, string Value)[] headers)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        ArgumentNullException.ThrowIfNull(channel);
        var frame = new FrameBuilder().Add("Event", eventName).Add("Privilege", FakeAmiPermissionsText.ToPrivilege(eventClass));
        BuiltInActions.AddChannelState(frame, channel);
        foreach (var (name, value) in headers)
        {
            frame.Add(name, value);
        }
        return AmiMessage.FromFrame(frame.ToArrayWithoutEnd());
    }

    /// <summary>A <c>Newchannel</c> event for <paramref name="channel"/>.</summary>
    public static AmiMessage Newchannel(FakeChannel channel) => ForChannel("Newchannel", channel);

    /// <summary>A <c>Newstate</c> event for <paramref name="channel"/> (its current State and StateDesc).</summary>
    public static AmiMessage Newstate(FakeChannel channel) => ForChannel("Newstate", channel);

    /// <summary>A <c>Hangup</c> event with <c>Cause</c> and <c>Cause-txt</c> (default 16, Normal Clearing).</summary>
    public static AmiMessage Hangup(FakeChannel channel, int cause = 16, string causeText = "Normal Clearing") =>
        ForChannel("Hangup", channel, FakeAmiPermissions.Call, ("Cause", cause.ToString(CultureInfo.InvariantCulture)), ("Cause-txt", causeText));

    /// <summary>A <c>UserEvent</c> (class user) named <paramref name="userEvent"/> with extra headers.</summary>
    public static AmiMessage UserEvent(string userEvent, params (string Name, string Value)[] headers)
    {
        var all = new List<(string, string)> { ("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", userEvent) };
        all.AddRange(headers);
        return AmiMessage.Create(all.ToArray());
    }
}
