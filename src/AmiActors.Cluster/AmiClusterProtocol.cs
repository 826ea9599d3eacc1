using Akka.Actor;

namespace AmiActors.Cluster;

/// <summary>Messages between the nodes of an AmiActors cluster. All of them are serialized by <see cref="AmiClusterSerializer"/>.</summary>
public static class AmiClusterProtocol
{
    /// <summary>An action for a server's entity, sent by a node's manager (<paramref name="RequestId"/> correlates the reply).</summary>
    public sealed record EntitySend(long RequestId, AmiManager.SendAction Send)
    {
        /// <inheritdoc />
        public override string ToString() => $"EntitySend({RequestId}, {Send})";
    }

    /// <summary>The reply to <see cref="EntitySend"/>: the action's result, whatever its response status.</summary>
    public sealed record EntityReplied(long RequestId, AmiActionResult Result);

    /// <summary>The reply to <see cref="EntitySend"/> when the action failed; <paramref name="Failure"/> rebuilds the exception.</summary>
    public sealed record EntityFailed(long RequestId, ActionFailure Failure);

    /// <summary>What kind of failure an <see cref="ActionFailure"/> carries.</summary>
    public enum FailureKind
    {
        /// <summary>Any other <see cref="AmiException"/>: rebuilt as <see cref="AmiException"/> with the message.</summary>
        Other = 0,
        /// <summary><see cref="UnknownServerException"/>.</summary>
        UnknownServer = 1,
        /// <summary><see cref="AmiActionTimeoutException"/>.</summary>
        Timeout = 2,
        /// <summary><see cref="AmiConnectionLostException"/> (rebuilt as <see cref="AmiOutcomeUnknownException"/>).</summary>
        ConnectionLost = 3,
        /// <summary><see cref="AmiNotConnectedException"/>.</summary>
        NotConnected = 4,
        /// <summary><see cref="AmiBackpressureException"/>.</summary>
        Backpressure = 5,
        /// <summary><see cref="AmiOutcomeUnknownException"/>.</summary>
        OutcomeUnknown = 6,
    }

    /// <summary>An action's failure as plain data: kind, message and the exception's fields, in the order the kind defines.</summary>
    public sealed record ActionFailure(FailureKind Kind, string ServerId, string Message, IReadOnlyList<string> Fields)
    {
        /// <summary>Captures <paramref name="e"/>.</summary>
        public static ActionFailure From(Exception e, string serverId) => e switch
        {
            UnknownServerException u => new(FailureKind.UnknownServer, u.ServerId, u.Message, []),
            AmiActionTimeoutException t => new(FailureKind.Timeout, t.ServerId, t.Message,
                [t.ActionName, t.ActionId, t.Timeout.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), t.Stage]),
            AmiConnectionLostException c => new(FailureKind.ConnectionLost, c.ServerId, c.Message, [c.ActionName, c.Reason]),
            AmiNotConnectedException n => new(FailureKind.NotConnected, n.ServerId, n.Message, [((int)n.State).ToString(System.Globalization.CultureInfo.InvariantCulture)]),
            AmiBackpressureException b => new(FailureKind.Backpressure, b.ServerId, b.Message,
                [b.LimitName, b.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)]),
            AmiOutcomeUnknownException o => new(FailureKind.OutcomeUnknown, o.ServerId, o.Message, [o.ActionName, o.Reason]),
            _ => new(FailureKind.Other, serverId, e.Message, []),
        };

        /// <summary>Rebuilds the exception for an action named <paramref name="actionName"/>.</summary>
        public Exception ToException(string actionName)
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            return Kind switch
            {
                FailureKind.UnknownServer => new UnknownServerException(ServerId),
                FailureKind.Timeout when Fields.Count == 4 =>
                    new AmiActionTimeoutException(ServerId, Fields[0], Fields[1], TimeSpan.FromTicks(long.Parse(Fields[2], inv)), Fields[3]),
                FailureKind.ConnectionLost when Fields.Count == 2 => new AmiOutcomeUnknownException(ServerId, Fields[0],
                    "the connection to the PBX was lost while it was in flight", new AmiConnectionLostException(ServerId, Fields[0], Fields[1])),
                FailureKind.NotConnected when Fields.Count == 1 =>
                    new AmiNotConnectedException(ServerId, actionName, (AmiConnectionState)int.Parse(Fields[0], inv)),
                FailureKind.Backpressure when Fields.Count == 2 =>
                    new AmiBackpressureException(ServerId, actionName, Fields[0], int.Parse(Fields[1], inv)),
                FailureKind.OutcomeUnknown when Fields.Count == 2 => new AmiOutcomeUnknownException(ServerId, Fields[0], Fields[1]),
                _ => new AmiException(Message),
            };
        }
    }

    /// <summary>
    /// Published by a server's entity to every node on each connection state change and periodically: the state, and the
    /// node (<paramref name="Node"/>, an Akka address) hosting the connection.
    /// </summary>
    public sealed record ServerState(string ServerId, AmiConnectionState Previous, AmiConnectionState Current, string? Reason, string Node, string? AmiVersion, long EventsDropped);

    /// <summary>
    /// Events of one server, in order, published by its entity as one pub-sub message: under load the entity batches the
    /// events that arrived while it was busy (at most <see cref="MaxEvents"/>), so a flood crosses nodes in few messages.
    /// </summary>
    public sealed record EventBatch(string ServerId, IReadOnlyList<AmiEventReceived> Events)
    {
        /// <summary>The most events in one batch.</summary>
        public const int MaxEvents = 256;

        /// <inheritdoc />
        public override string ToString() => $"EventBatch({ServerId}, {Events.Count} events)";
    }

    /// <summary>Asks a server's entity for its <see cref="ServerState"/>.</summary>
    public sealed record GetServerState(string ServerId);

    /// <summary>Sent by the shard to an entity in place of stopping it: drain, Logoff, stop (the PBX then connects elsewhere).</summary>
    public sealed class HandOff
    {
        /// <summary>The singleton.</summary>
        public static HandOff Instance { get; } = new();

        private HandOff()
        {
        }
    }
}
