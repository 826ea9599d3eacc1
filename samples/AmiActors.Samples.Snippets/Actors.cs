using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using AmiActors;
using AmiActors.Actions;
using AmiActors.Events;
using AmiActors.Hosting;

namespace AmiActors.Samples.Snippets;

/// <summary>
/// An actor that speaks to the manager by message: a typed subscription answered by <see cref="AmiManager.Subscribed"/>,
/// a typed action asked and piped back. It gets the manager from the ActorRegistry (<c>IRequiredActor&lt;AmiManagerKey&gt;</c>).
/// </summary>
public sealed class QueueWatcher : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public QueueWatcher(IRequiredActor<AmiManagerKey> ami)
    {
        var manager = ami.ActorRef;
        Receive<AmiManager.Subscribed>(_ => manager
            .Ask<AmiActionResult>(new AmiManager.SendAction("pbx1", new CoreShowChannelsAction()), TimeSpan.FromSeconds(10))
            .PipeTo(Self));
        Receive<HangupEvent>(h => _log.Info("{0} hung up: {1}", h.Channel, h.CauseTxt));
        Receive<AmiActionResult>(r => _log.Info("{0} channels up", r.Events.Count));
        Receive<Status.Failure>(f => _log.Warning("CoreShowChannels failed: {0}", f.Cause.Message));
        manager.Tell(AmiManager.Subscribe.To<HangupEvent>(Self, "pbx1"));
    }
}

/// <summary>An actor that gets <see cref="IAmiClient"/> from the container (<c>resolver.Props&lt;ChannelCounter&gt;()</c>).</summary>
public sealed class ChannelCounter : ReceiveActor
{
    private int _channels;

    public ChannelCounter(IAmiClient ami)
    {
        Receive<AmiManager.Subscribed>(_ => ami.SendListAsync("pbx1", new CoreShowChannelsAction()).PipeTo(Self));
        Receive<AmiListResult<CoreShowChannelEvent>>(list => _channels = list.Items.Count);
        Receive<NewchannelEvent>(_ => _channels++);
        Receive<HangupEvent>(_ => _channels--);
        Receive<Status.Failure>(f => throw f.Cause);   // let the supervisor decide
        ami.Manager.Tell(AmiManager.Subscribe.To(Self, "pbx1", typeof(NewchannelEvent), typeof(HangupEvent)));
    }
}

/// <summary>Connection states and events from the ActorSystem's EventStream (no subscription to the manager needed).</summary>
public sealed class ConnectionWatcher : ReceiveActor
{
    public ConnectionWatcher()
    {
        Receive<ConnectionStateChanged>(c => Context.GetLogger().Info("{0}: {1} -> {2} ({3})", c.ServerId, c.Previous, c.Current, c.Reason));
        Receive<HangupEvent>(h => Context.GetLogger().Info("{0} hung up", h.Channel));
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(ConnectionStateChanged));
        Context.System.EventStream.Subscribe(Self, typeof(HangupEvent));
    }
}

/// <summary>Registering the actors above with Akka.Hosting, and subscribing an actor from outside.</summary>
public static class ActorRegistration
{
    public static Task SubscribeFromOutside(IAmiClient ami, IActorRef calls) =>
        ami.SubscribeAsync<HangupEvent>(calls, "pbx1");   // calls: Receive<HangupEvent>(h => ... h.Cause ...)

    public static AkkaConfigurationBuilder AddWatchers(AkkaConfigurationBuilder akka) =>
        akka.WithActors((system, registry, resolver) =>
        {
            system.ActorOf(resolver.Props<QueueWatcher>(), "queue-watcher");       // IRequiredActor<AmiManagerKey> injected
            system.ActorOf(resolver.Props<ChannelCounter>(), "channel-counter");   // IAmiClient injected
            system.ActorOf(Props.Create<ConnectionWatcher>(), "connection-watcher");
        });
}
