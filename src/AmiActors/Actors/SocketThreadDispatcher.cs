using System.Net;
using System.Net.Sockets;
using Akka.Configuration;
using Akka.Dispatch;

namespace AmiActors.Actors;

/// <summary>
/// A dispatcher for a whole actor system (as <c>akka.actor.default-dispatcher.type</c>) that runs an actor on .NET's
/// socket thread when a message is sent from it, and on the thread pool otherwise. With
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, .NET completes socket operations on that thread: Akka.IO's
/// connection actor then takes a read where it completes, and <see cref="AmiInlineDispatcher"/> carries it on through
/// the connection actor and the router, without a hand-off to the pool per read.
/// </summary>
/// <remarks>
/// Every actor of the system runs on the socket thread when a read reaches it there (at most four
/// runs nested on one thread, counting the AMI actors'): while one does, no socket of the process completes. Meant for a process whose actors never block,
/// such as the <c>ami</c> worker.
/// </remarks>
public sealed class SocketThreadDispatcherConfigurator : MessageDispatcherConfigurator
{
    private readonly SocketThreadDispatcher _instance;

    /// <summary>Called by Akka with the dispatcher's configuration.</summary>
    public SocketThreadDispatcherConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : base(config, prerequisites) => _instance = new SocketThreadDispatcher(this);

    /// <inheritdoc />
    public override MessageDispatcher Dispatcher() => _instance;

    /// <summary>The HOCON that makes this the default dispatcher of an actor system.</summary>
    public static Config DefaultDispatcherConfig { get; } = ConfigurationFactory.ParseString(
        $"akka.actor.default-dispatcher.type = \"{typeof(SocketThreadDispatcherConfigurator).FullName}, {typeof(SocketThreadDispatcherConfigurator).Assembly.GetName().Name}\"");

    /// <summary>
    /// Asks .NET to complete socket operations on its socket thread (sets <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>
    /// unless the variable is set already), then checks it with one receive on a loopback connection. .NET reads the
    /// variable once, when the process first uses an asynchronous socket: call this before anything opens one.
    /// </summary>
    /// <returns>True when a completion ran on the socket thread; false when .NET hands completions to the thread pool
    /// (the variable was set to something else, or read before this call).</returns>
    public static bool EnableInlineSocketCompletions()
    {
        const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        using var args = new SocketAsyncEventArgs();
        args.SetBuffer(new byte[1], 0, 1);
        bool onSocketThread = false;
        using var done = new ManualResetEventSlim();
        args.Completed += (_, _) =>
        {
            onSocketThread = OnSocketThread();
            done.Set();
        };
        if (!client.ReceiveAsync(args))
        {
            return false;
        }
        server.Send([1]);
        return done.Wait(TimeSpan.FromSeconds(5)) && onSocketThread;
    }

    /// <summary>True on the thread .NET completes socket operations on when they are not handed to the pool.</summary>
    internal static bool OnSocketThread() => !Thread.CurrentThread.IsThreadPoolThread && Thread.CurrentThread.Name == ".NET Sockets";

    private sealed class SocketThreadDispatcher : MessageDispatcher
    {
        public SocketThreadDispatcher(MessageDispatcherConfigurator configurator) : base(configurator)
        {
        }

        protected override void ExecuteTask(IRunnable run)
        {
            if (!InlineRuns.TryRun(run, OnSocketThread))
            {
                ThreadPool.UnsafeQueueUserWorkItem(static r => ((IRunnable)r!).Run(), run);
            }
        }

        protected override void Shutdown()
        {
        }
    }
}
