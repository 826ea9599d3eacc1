using AmiActors.Protocol;

namespace AmiActors;

/// <summary>Maps event names to typed event classes. Replaced by the generated lookup over the Asterisk catalog.</summary>
internal static partial class AmiEventTypes
{
    /// <summary>Creates the event wrapper for a received event.</summary>
    public static AmiEventReceived Create(string serverId, AmiMessage message) => new(serverId, message);
}
