using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;

namespace AmiActors.Actors;

/// <summary>
/// The dispatcher of the correlation actors: it runs an actor's mailbox on the thread that sends to it. Everything a correlation
/// actor receives comes from its connection actor (the request, the response, the events, the deadline, the connection loss), so
/// it runs on the connection actor's thread, right after the routing, with no thread-pool hand-off: the reply reaches the asker
/// as soon as it would if the connection actor answered it itself. The mailbox still serializes the actor, and a correlation actor
/// only tells (the asker, the event router, its parent), so it never runs code of the connection actor's re-entrantly.
/// </summary>
internal sealed class CorrelationDispatcher : MessageDispatcher
{
    /// <summary>The id the dispatcher is registered under.</summary>
    public const string DispatcherId = "ami.correlation-dispatcher";

    private CorrelationDispatcher(MessageDispatcherConfigurator configurator)
        : base(configurator)
    {
    }

    /// <summary>Registers the dispatcher with <paramref name="system"/> unless it is there already.</summary>
    public static void EnsureRegistered(ActorSystem system)
    {
        var dispatchers = system.Dispatchers;
        if (dispatchers.HasDispatcher(DispatcherId))
        {
            return;
        }
        var config = ConfigurationFactory.ParseString($"id = \"{DispatcherId}\"").WithFallback(dispatchers.DefaultDispatcherConfig);
        dispatchers.RegisterConfigurator(DispatcherId, new CallingThreadConfigurator(config, dispatchers.Prerequisites));
    }

    protected override void ExecuteTask(IRunnable run) => run.Run();

    protected override void Shutdown()
    {
    }

    private sealed class CallingThreadConfigurator : MessageDispatcherConfigurator
    {
        private readonly CorrelationDispatcher _instance;

        public CallingThreadConfigurator(Config config, IDispatcherPrerequisites prerequisites)
            : base(config, prerequisites) => _instance = new CorrelationDispatcher(this);

        public override MessageDispatcher Dispatcher() => _instance;
    }
}
