using AmiActors.Protocol;

namespace AmiActors.TestKit;

/// <summary>One action the fake server received, as a test reads it back.</summary>
/// <param name="SessionId">The <see cref="FakeAmiSession.Id"/> of the session that sent it.</param>
/// <param name="Name">The action name as sent (<c>Login</c>, <c>ping</c>...); empty when the frame had no Action header.</param>
/// <param name="Message">The action's headers, in wire order (kind <see cref="AmiMessageKind.Action"/>).</param>
/// <param name="Sequence">Position in the server's global order of received actions, from 1.</param>
/// <param name="ReceivedAt">When the server read it.</param>
public sealed record FakeReceivedAction(int SessionId, string Name, AmiMessage Message, long Sequence, DateTimeOffset ReceivedAt)
{
    /// <summary>The action's ActionID, or null.</summary>
    public string? ActionId => Message.ActionId;

    /// <summary>True when the action's name is <paramref name="name"/> (case-insensitive, as Asterisk matches it).</summary>
    public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);

    /// <summary>Prints session, name and ActionID only: header values may hold secrets.</summary>
    public override string ToString() => $"FakeReceivedAction(#{Sequence} session {SessionId}: {Name}, ActionID {ActionId ?? "-"})";
}
