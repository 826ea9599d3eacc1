using AmiActors.Protocol;

namespace AmiActors;

/// <summary>
/// Maps received events to their typed classes. The name switch (<c>CreateTyped</c>) is generated from the Asterisk
/// catalog: it looks at the raw bytes of the <c>Event:</c> header, switches on their length and first letter and
/// compares ASCII case-insensitively, so classifying an event allocates nothing and takes constant time.
/// </summary>
internal static partial class AmiEventTypes
{
    /// <summary>Creates the event wrapper for a received event: its typed class when the catalog knows the name, otherwise <see cref="AmiEventReceived"/>.</summary>
    public static AmiEventReceived Create(string serverId, AmiMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        int i = message.IndexOf("Event");
        return (i < 0 ? null : CreateTyped(serverId, message, message.ValueBytes(i))) ?? new AmiEventReceived(serverId, message);
    }

    private static partial AmiEventReceived? CreateTyped(string serverId, AmiMessage message, ReadOnlySpan<byte> name);
}
