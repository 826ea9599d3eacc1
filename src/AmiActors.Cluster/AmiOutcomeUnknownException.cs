namespace AmiActors.Cluster;

/// <summary>
/// The action was in flight on a node that crashed, became unreachable or handed its PBX over, or on a connection that
/// dropped: it may or may not have been executed by Asterisk. For an <c>Originate</c> this means a call may have been
/// placed: check (for example with <c>Status</c> or the channel's events) before sending it again.
/// </summary>
public sealed class AmiOutcomeUnknownException(string serverId, string actionName, string reason, Exception? inner = null)
    : AmiException($"Outcome of AMI action {actionName} on server '{serverId}' is unknown: {reason}. It may or may not have been executed.", inner)
{
    /// <summary>The server.</summary>
    public string ServerId { get; } = serverId;

    /// <summary>The action name.</summary>
    public string ActionName { get; } = actionName;

    /// <summary>Why the outcome is unknown.</summary>
    public string Reason { get; } = reason;
}
