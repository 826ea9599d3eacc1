using Akka.Actor;

namespace AmiActors.Actors;

/// <summary>
/// How a connection actor supervises its children. Neither kind is ever restarted in place:
/// <list type="bullet">
/// <item>a correlation actor that fails escalates: the connection actor fails with it, so the manager restarts the connection
/// (after its crash backoff) and every asker of that server, this one included, gets <see cref="AmiConnectionCrashedException"/> at
/// once. A restarted correlation actor would have forgotten the reply it was assembling and left its asker waiting.</item>
/// <item>a transport that fails is stopped: its PostStop reports <c>Closed</c>, which the connection actor handles like any lost
/// connection (fail in-flight actions, reconnect after the normal backoff). A restarted transport would open a second TCP
/// connection that nobody reads.</item>
/// </list>
/// </summary>
internal sealed class ConnectionChildStrategy : OneForOneStrategy
{
    public static readonly ConnectionChildStrategy Instance = new();

    // Not logged here: an escalated failure is logged by the connection actor's PreRestart, a stopped transport by its Closed reason.
    private ConnectionChildStrategy() : base(0, -1, Akka.Actor.Decider.From(Directive.Stop), loggingEnabled: false)
    {
    }

    protected override Directive Handle(IActorRef child, Exception exception) =>
        child is ActorRefWithCell { Underlying.Props.Type: var type } && type == typeof(AmiCorrelationActor) ? Directive.Escalate : Directive.Stop;
}
