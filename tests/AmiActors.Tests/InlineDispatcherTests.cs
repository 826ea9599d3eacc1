using Akka.Actor;
using AmiActors.Actors;
using Xunit.Abstractions;

namespace AmiActors.Tests;

/// <summary>
/// ami.inline-dispatcher runs an actor on the thread-pool thread of the actor that sends to it, nested at most
/// <see cref="AmiInlineDispatcher.MaxDepth"/> deep, and hands messages from application code and other threads to the pool.
/// </summary>
public class InlineDispatcherTests(ITestOutputHelper output) : RuntimeTestBase(output)
{
    // Set by the sending thread around its Tell only: an actor that sees it ran inside that Tell, on that thread.
    [ThreadStatic]
    private static bool t_insideSend;

    private sealed record Run(int Hop, bool InsideSend, int ThreadId);

    // Forwards a counter down a chain of these actors, recording for each hop whether it ran inside the original Tell.
    private sealed class Hop(IActorRef? next, IActorRef recorder, int hop) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            recorder.Tell(new Run(hop, t_insideSend, Environment.CurrentManagedThreadId));
            next?.Tell(message);
        }
    }

    private IActorRef[] Chain(int length)
    {
        AmiInlineDispatcher.EnsureRegistered(Sys);
        var chain = new IActorRef[length];
        IActorRef? next = null;
        for (int i = length - 1; i >= 0; i--)
        {
            int hop = i + 1;
            var after = next;
            chain[i] = Sys.ActorOf(Props.Create(() => new Hop(after, TestActor, hop)).WithDispatcher(AmiInlineDispatcher.DispatcherId));
            next = chain[i];
        }
        return chain;
    }

    private static void SendMarked(IActorRef first)
    {
        t_insideSend = true;
        try
        {
            first.Tell("go");
        }
        finally
        {
            t_insideSend = false;
        }
    }

    // An ordinary actor (default dispatcher, so on a pool thread) that starts the chain from inside its own message.
    private sealed class Starter(IActorRef first) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            SendMarked(first);
            Sender.Tell(Environment.CurrentManagedThreadId);
        }
    }

    [Fact]
    public async Task From_an_actor_on_a_pool_thread_the_first_four_actors_of_a_chain_run_inside_its_send_and_the_fifth_on_the_pool()
    {
        var chain = Chain(AmiInlineDispatcher.MaxDepth + 2);
        var starter = Sys.ActorOf(Props.Create(() => new Starter(chain[0])));
        // Let every actor finish starting (creation runs through the same dispatcher).
        await Task.Delay(100);
        starter.Tell("go", TestActor);

        var messages = ReceiveN(chain.Length + 1, Long);
        int sender = messages.OfType<int>().Single();
        var runs = messages.OfType<Run>().OrderBy(r => r.Hop).ToArray();
        for (int hop = 1; hop <= AmiInlineDispatcher.MaxDepth; hop++)
        {
            Assert.True(runs[hop - 1].InsideSend, $"hop {hop} should run inside the sender's Tell");
            Assert.Equal(sender, runs[hop - 1].ThreadId);
        }
        Assert.False(runs[AmiInlineDispatcher.MaxDepth].InsideSend, "past the depth bound the message goes to the thread pool");
        Assert.False(runs[AmiInlineDispatcher.MaxDepth + 1].InsideSend);
    }

    [Fact]
    public async Task From_application_code_on_a_pool_thread_the_actor_runs_on_the_pool_not_in_the_caller()
    {
        var chain = Chain(1);
        await Task.Delay(100);
        await Task.Run(() =>
        {
            Assert.True(Thread.CurrentThread.IsThreadPoolThread);
            // The TestKit marks the thread that built the test class as its TestActor's (so a Tell in a test has a sender), and
            // that pool thread can run this delegate: make it what an application's thread is, a thread running no actor.
            var marked = Akka.Actor.Internal.InternalCurrentActorCellKeeper.Current;
            Akka.Actor.Internal.InternalCurrentActorCellKeeper.Current = null;
            try
            {
                SendMarked(chain[0]);
            }
            finally
            {
                Akka.Actor.Internal.InternalCurrentActorCellKeeper.Current = marked;
            }
        });

        Assert.False(ExpectMsg<Run>(Long).InsideSend);
    }

    [Fact]
    public void From_a_thread_that_is_not_the_pool_s_the_actor_runs_on_the_pool()
    {
        var chain = Chain(1);
        var thread = new Thread(() => SendMarked(chain[0]));
        thread.Start();
        thread.Join();

        var run = ExpectMsg<Run>(Long);
        Assert.False(run.InsideSend);
        Assert.NotEqual(thread.ManagedThreadId, run.ThreadId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("akka.actor.default-dispatcher")]
    public async Task The_connection_actor_and_the_router_run_on_ami_dispatcher_and_answer_either_way(string? configured)
    {
        var server = await StartServerAsync();
        var settings = FastSettings(Definition(server)) with { Dispatcher = configured ?? AmiSettings.Default.Dispatcher };
        var client = await StartClientAsync(settings);

        var reply = await client.SendAsync("pbx1", Ping).WaitAsync(Long);
        Assert.True(reply.Response.IsSuccess);
        foreach (var path in new[] { "/user/ami/connection-pbx1-1", "/user/ami/events" })
        {
            var actor = (ActorRefWithCell)await Sys.ActorSelection(path).ResolveOne(Long);
            var dispatcher = ((ActorCell)actor.Underlying).Dispatcher;
            if (configured is null)
            {
                Assert.IsType<AmiInlineDispatcher>(dispatcher);
            }
            else
            {
                Assert.Same(Sys.Dispatchers.Lookup(configured), dispatcher);
            }
        }
    }
}
