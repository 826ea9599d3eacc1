using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;

namespace AmiActors.Actors;

/// <summary>
/// The dispatcher of the connection actors, their correlation actors and the event router (<c>ami.dispatcher</c>): it runs an
/// actor's mailbox on the thread that sends to it, when that thread is a thread-pool thread and fewer than
/// <see cref="MaxDepth"/> inline runs are nested on it; otherwise it hands the mailbox to the default dispatcher's thread pool.
/// </summary>
/// <remarks>
/// <para>
/// Every message on the event path would otherwise cost a thread-pool hand-off, and on a path that carries one event per read
/// (how a real Asterisk writes) the hand-offs, not the parsing, are the cost: a worker woken per message. Run inline, a read goes
/// from Akka.IO's connection actor into the connection actor, the parser, the event router and out to the subscribers' mailboxes
/// on one thread, and the connection actor's next <c>ResumeReading</c> reaches Akka.IO's connection actor while it is still
/// running (queued, no hand-off). A request goes from the caller's thread to the connection actor and into Akka.IO the same way,
/// and its reply reaches the asker on the thread that read it.
/// </para>
/// <para>
/// The mailbox still serializes each actor: a mailbox that is already running (on another thread, or further up this thread's
/// stack) only queues the message, and the thread running it takes it. The depth bound keeps the stack short (a mailbox that
/// re-schedules itself after its throughput runs nested at most that deep) and threads that are not the pool's (the scheduler's
/// timer thread, an application's own thread) never run AMI actors: their messages go to the pool.
/// </para>
/// </remarks>
internal sealed class AmiInlineDispatcher : MessageDispatcher
{
    /// <summary>The id the dispatcher is registered under.</summary>
    public const string DispatcherId = "ami.inline-dispatcher";

    /// <summary>Most inline mailbox runs nested on one thread.</summary>
    public const int MaxDepth = 4;

    [ThreadStatic]
    private static int t_depth;

    private readonly MessageDispatcher _pool;

    private AmiInlineDispatcher(MessageDispatcherConfigurator configurator, MessageDispatcher pool)
        : base(configurator)
    {
        _pool = pool;
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
        dispatchers.RegisterConfigurator(DispatcherId, new InlineConfigurator(config, dispatchers.Prerequisites, dispatchers.DefaultGlobalDispatcher));
    }

    internal static long DebugInline, DebugPool, DebugNotPool;

    protected override void ExecuteTask(IRunnable run)
    {
        if (!Thread.CurrentThread.IsThreadPoolThread) Interlocked.Increment(ref DebugNotPool);
        if (t_depth < MaxDepth && Thread.CurrentThread.IsThreadPoolThread)
        {
            Interlocked.Increment(ref DebugInline);
            t_depth++;
            try
            {
                run.Run();
            }
            finally
            {
                t_depth--;
            }
            return;
        }
        Interlocked.Increment(ref DebugPool);
        _pool.Schedule(run);
    }

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
