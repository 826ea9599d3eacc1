using AmiActors.Protocol;

namespace AmiActors;

/// <summary>Base class of every failure AmiActors reports. Messages never contain secrets.</summary>
public class AmiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AmiException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>An action or subscription named a server id the manager does not know.</summary>
public sealed class UnknownServerException(string serverId)
    : AmiException($"Unknown AMI server '{serverId}'.")
{
    /// <summary>The unknown id.</summary>
    public string ServerId { get; } = serverId;
}

/// <summary>An action got no complete reply (response, list, OriginateResponse) within its timeout. A late reply is dropped.</summary>
public sealed class AmiActionTimeoutException(string serverId, string actionName, string actionId, TimeSpan timeout, string stage)
    : AmiException($"AMI action {actionName} (ActionID {actionId}) on server '{serverId}' timed out after {timeout.TotalMilliseconds:0} ms waiting for {stage}.")
{
    /// <summary>The server.</summary>
    public string ServerId { get; } = serverId;
    /// <summary>The action name.</summary>
    public string ActionName { get; } = actionName;
    /// <summary>The ActionID.</summary>
    public string ActionId { get; } = actionId;
    /// <summary>The timeout that expired.</summary>
    public TimeSpan Timeout { get; } = timeout;
    /// <summary>What was still awaited: "the response", "the list", "OriginateResponse".</summary>
    public string Stage { get; } = stage;
}

/// <summary>The connection dropped while the action was in flight (it may or may not have been executed by the server).</summary>
public class AmiConnectionLostException(string serverId, string actionName, string reason)
    : AmiException($"Connection to AMI server '{serverId}' lost while action {actionName} was in flight: {reason}.")
{
    /// <summary>The server.</summary>
    public string ServerId { get; } = serverId;
    /// <summary>The action name.</summary>
    public string ActionName { get; } = actionName;
    /// <summary>Why the connection was lost.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// The server's connection actor failed with an internal error (a bug) while the action was in flight or buffered: the
/// connection was reset and is re-established after a backoff; the action may or may not have been executed. A kind of
/// <see cref="AmiConnectionLostException"/>, so code that handles a lost connection handles this too.
/// </summary>
public sealed class AmiConnectionCrashedException(string serverId, string actionName, string errorType)
    : AmiConnectionLostException(serverId, actionName, $"internal error in the connection actor ({errorType}); the connection is reset and restarted after a backoff")
{
    /// <summary>The type name of the exception that failed the connection actor (its message is logged, not carried here).</summary>
    public string ErrorType { get; } = errorType;
}

/// <summary>The action could not be sent now: the server is not connected and buffering is off (or the buffer timed out), or the connection is stopping.</summary>
public sealed class AmiNotConnectedException(string serverId, string actionName, AmiConnectionState state)
    : AmiException($"AMI server '{serverId}' is not connected ({state}); action {actionName} was not sent.")
{
    /// <summary>The server.</summary>
    public string ServerId { get; } = serverId;
    /// <summary>The connection state at the time.</summary>
    public AmiConnectionState State { get; } = state;
}

/// <summary>A bound was reached: actions in flight, actions buffered while disconnected, or the outbound queue. The action was not sent.</summary>
public sealed class AmiBackpressureException(string serverId, string actionName, string limitName, int limit)
    : AmiException($"AMI server '{serverId}': {limitName} limit of {limit} reached; action {actionName} rejected.")
{
    /// <summary>The server.</summary>
    public string ServerId { get; } = serverId;
    /// <summary>Which limit: "max-in-flight", "disconnected-buffer", "outbound-queue".</summary>
    public string LimitName { get; } = limitName;
    /// <summary>The configured limit.</summary>
    public int Limit { get; } = limit;
}

/// <summary>The server rejected the login (wrong username or secret, or the user may not log in).</summary>
public sealed class AmiAuthenticationException(string serverId, string username, string? serverMessage)
    : AmiException($"AMI server '{serverId}' rejected the login of user '{username}': {serverMessage ?? "no message"}.")
{
    /// <summary>The server.</summary>
    public string ServerId { get; } = serverId;
    /// <summary>The user name that was rejected.</summary>
    public string Username { get; } = username;
}

/// <summary>Thrown by <see cref="IAmiClient"/> when the server answered <c>Response: Error</c> (or an async Originate failed). Carries the whole result.</summary>
public sealed class AmiErrorResponseException(AmiActionResult result, string actionName)
    : AmiException($"AMI server '{result.ServerId}' answered {actionName} (ActionID {result.ActionId}) with an error: {(result.OriginateResponseEvent is { ReasonRaw: { } reason } o ? $"OriginateResponse Failure, Reason {reason} ({AmiActionResult.OriginateReasonText(o.Reason)})" : result.Message?.TrimEnd('.') ?? "no message")}.")
{
    /// <summary>The full reply.</summary>
    public AmiActionResult Result { get; } = result;
    /// <summary>The response frame.</summary>
    public AmiMessage Response => Result.Response;
}

/// <summary>A configuration value (HOCON key or server definition field) is missing or invalid. Names the key, never the value of a secret.</summary>
public sealed class AmiConfigurationException(string key, string problem)
    : AmiException($"Invalid AMI configuration: {key} {problem}.")
{
    /// <summary>The offending key (for example <c>ami.reconnect.min-backoff</c> or <c>ami.servers.pbx1.port</c>).</summary>
    public string Key { get; } = key;
}
