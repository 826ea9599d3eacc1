using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;

namespace AmiActors.Actors;

/// <summary>
/// The dispatcher of the connection actors, their correlation actors and the event router (<c>ami.dispatcher</c>): a message
/// that an actor running on a thread-pool thread sends to one of them runs the receiver on that thread, while fewer than
/// <see cref="MaxDepth"/> such runs are nested on it; any other message (from application code, from the scheduler's timer
/// thread, past the depth) goes to the default dispatcher's thread pool.
/// </summary>
/// <remarks>
/// <para>
/// A read goes from Akka.IO's connection actor into the connection actor, the parser, the event router and out to the
/// subscribers' mailboxes on one thread, and the connection actor's next <c>ResumeReading</c> reaches Akka.IO's connection
/// actor while it is still running (queued, no hand-off); a reply reaches its correlation actor, and through it the asker,
/// on the thread that read it. Because the router runs on the reading thread, the next read waits for the routing of the
/// last: a flood cannot outrun the routing into the subscribers' mailbox limits.
/// </para>
/// <para>
/// Only actors run AMI actors inline: an application thread that calls <c>SendAsync</c> hands the action to the pool and
/// returns, and never runs a connection actor's queued work. The mailbox still serializes each actor: a mailbox that is
/// already running (on another thread, or further up this thread's stack) only queues the message. The depth bound keeps
/// the stack short (a mailbox that re-schedules itself after its throughput runs nested at most that deep).
/// </para>
/// </remarks>
internal sealed class AmiInlineDispatcher : MessageDispatcher
{
    /// <summary>The id the dispatcher is registered under.</summary>
    public const string DispatcherId = "ami.inline-dispatcher";

    /// <summary>Most inline mailbox runs nested on one thread.</summary>
    public const int MaxDepth = InlineRuns.MaxDepth;

    private readonly MessageDispatcher _pool;

    private AmiInlineDispatcher(MessageDispatcherConfigurator configurator, MessageDispatcher pool)
        : base(configurator)
    {
        _pool = pool;
    }

    /// <summary>Registers the dispatcher, and the correlation actors' mailbox, with <paramref name="system"/> unless they are there already.</summary>
    public static void EnsureRegistered(ActorSystem system)
    {
        var dispatchers = system.Dispatchers;
        if (dispatchers.HasDispatcher(DispatcherId))
        {
            return;
        }
        if (!system.Settings.Config.HasPath(CorrelationMailbox.Id))
        {
            system.Settings.InjectTopLevelFallback(CorrelationMailbox.Registration);
        }
        var config = ConfigurationFactory.ParseString($"id = \"{DispatcherId}\"").WithFallback(dispatchers.DefaultDispatcherConfig);
        dispatchers.RegisterConfigurator(DispatcherId, new InlineConfigurator(config, dispatchers.Prerequisites, dispatchers.DefaultGlobalDispatcher));
    }

    protected override void ExecuteTask(IRunnable run)
    {
        if (!InlineRuns.TryRun(run, static () => (Thread.CurrentThread.IsThreadPoolThread || SocketThreadDispatcherConfigurator.OnSocketThread()) && InActor()))
        {
            _pool.Schedule(run);
        }
    }

    // The thread is running an actor's message (Akka.IO's connection actor, a connection actor...), not application code.
    private static bool InActor() => ActorCell.GetCurrentSelfOrNoSender() is { } self && !self.IsNobody();

    protected override void Shutdown()
    {
    }

    private sealed class InlineConfigurator : MessageDispatcherConfigurator
    {
        private readonly AmiInlineDispatcher _instance;

        public InlineConfigurator(Config config, IDispatcherPrerequisites prerequisites, MessageDispatcher pool)
            : base(config, prerequisites) => _instance = new AmiInlineDispatcher(this, pool);

        public override MessageDispatcher Dispatcher() => _instance;
    }
}

/// <summary>Runs a mailbox on the calling thread, at most <see cref="MaxDepth"/> runs nested per thread, for every inline dispatcher together.</summary>
internal static class InlineRuns
{
    /// <summary>Most inline mailbox runs nested on one thread.</summary>
    public const int MaxDepth = 4;

    [ThreadStatic]
    private static int t_depth;

    /// <summary>Runs <paramref name="run"/> here when below the depth and <paramref name="here"/> says this thread may; false otherwise.</summary>
    public static bool TryRun(IRunnable run, Func<bool> here)
    {
        if (t_depth >= MaxDepth || !here())
        {
            return false;
        }
        t_depth++;
        try
        {
            run.Run();
        }
        finally
        {
            t_depth--;
        }
        return true;
    }
}
