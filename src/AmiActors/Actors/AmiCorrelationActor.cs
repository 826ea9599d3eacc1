using Akka.Actor;
using Akka.Event;
using AmiActors.Protocol;

namespace AmiActors.Actors;

/// <summary>
/// The life of one action after the connection accepted it: a child of the connection actor, created when the action is written.
/// It receives what carries the action's ActionID (the response; list items and Complete; OriginateResponse; events that came
/// before the response), assembles the reply, answers the asker (or fails it on timeout or connection loss), tells the connection
/// <see cref="Done"/> and stops. Its response deadline is kept by the connection's shared deadline list, which tells it
/// <see cref="DeadlinePassed"/>; it starts no timer of its own.
/// </summary>
internal sealed class AmiCorrelationActor : UntypedActor
{
    /// <summary>The first message a correlation actor receives: everything it needs, one allocation per action.</summary>
    public sealed record Request(string ServerId, string ActionName, string ActionId, IActorRef Asker, TimeSpan ResponseTimeout, TimeSpan? OriginateTimeout, IActorRef Router) : INoSerializationVerificationNeeded
    {
        public override string ToString() => $"Request({ServerId}, {ActionName}, {ActionId})";
    }

    /// <summary>The connection is gone (or stopping): fail the asker with <see cref="AmiConnectionLostException"/>.</summary>
    public sealed record ConnectionLost(string Reason) : INoSerializationVerificationNeeded;

    /// <summary>The connection's deadline list says the deadline <see cref="At"/> of this action has passed.</summary>
    public sealed record DeadlinePassed(DateTimeOffset At) : INoSerializationVerificationNeeded;

    /// <summary>Sent to the connection when the reply is complete (or failed): the ActionID can be forgotten.</summary>
    public sealed record Done(string ActionId, bool Answered = true) : INoSerializationVerificationNeeded;

    /// <summary>
    /// From the connection, once it has forgotten the ActionID after <see cref="Done"/>: nothing more will be routed here, stop.
    /// A user message, so it queues behind every frame the connection routed here before.
    /// </summary>
    public sealed class Release : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly Release Instance = new();

        private Release()
        {
        }
    }

    /// <summary>
    /// Sent to the connection when the response of an async Originate arrived: the action now waits for OriginateResponse until
    /// <see cref="Deadline"/>.
    /// </summary>
    public sealed record ExtendDeadline(string ActionId, DateTimeOffset Deadline) : INoSerializationVerificationNeeded;

    /// <summary>
    /// The one Props every correlation actor is made from (the action's data comes in <see cref="Request"/>), so creating one
    /// compiles nothing and allocates no Props. It runs on <see cref="AmiInlineDispatcher"/>: on its connection actor's thread.
    /// Naming the mailbox spares Akka the search of the actor type for a mailbox requirement at every creation; its queue
    /// (<see cref="CorrelationMailbox"/>) starts small.
    /// </summary>
    public static readonly Props Props = Akka.Actor.Props.CreateBy(new Producer()).WithDispatcher(AmiInlineDispatcher.DispatcherId).WithMailbox(CorrelationMailbox.Id);

    private enum Stage
    {
        Response,
        ListItems,
        OriginateResponse,
        Finished,
    }

    private Request _request = null!;
    private Stage _stage;
    private AmiMessage? _response;
    private List<AmiMessage>? _events;
    private List<AmiMessage>? _early;
    private DateTimeOffset _originateDeadline;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case AmiMessage m when m.Kind == AmiMessageKind.Event:
                OnEvent(m);
                break;
            case AmiMessage m:
                OnResponse(m);
                break;
            case Request request:
                _request = request;
                break;
            case DeadlinePassed passed:
                OnDeadline(passed.At);
                break;
            case ConnectionLost lost:
                Fail(new AmiConnectionLostException(_request.ServerId, _request.ActionName, lost.Reason));
                break;
            case Release:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // Restarted because the connection actor failed (its surviving children restart with it) or because this actor failed and
    // escalated: the connection is reset, so the asker learns at once that the outcome is unknown, and this actor ends.
    protected override void PreRestart(Exception reason, object message)
    {
        if (_stage != Stage.Finished && _request is not null)
        {
            _stage = Stage.Finished;
            _request.Asker.Tell(new Status.Failure(new AmiConnectionCrashedException(_request.ServerId, _request.ActionName, reason.GetType().Name)));
        }
    }

    // The new incarnation has no action to answer for (the restarted connection actor no longer knows its ActionID).
    protected override void PostRestart(Exception reason) => Context.Stop(Self);

    protected override void PostStop()
    {
        // Stopped before the reply was complete (with the connection actor, or by a bug of its own): no one may wait for nothing.
        if (_stage != Stage.Finished && _request is not null)
        {
            _request.Asker.Tell(new Status.Failure(new AmiConnectionLostException(_request.ServerId, _request.ActionName, "the connection actor stopped")));
            Context.Parent.Tell(new Done(_request.ActionId, Answered: false));
        }
    }

    private void OnResponse(AmiMessage response)
    {
        if (_stage != Stage.Response)
        {
            return;
        }
        _response = response;
        if (response.IsError)
        {
            ForwardEarly();
            Finish();
        }
        else if (response.IsListStart)
        {
            _stage = Stage.ListItems;
            _events = _early ?? new List<AmiMessage>();
            _early = null;
            if (_events.Count > 0 && _events[^1].IsListComplete)
            {
                var complete = _events[^1];
                _events.RemoveAt(_events.Count - 1);
                Finish(complete);
            }
        }
        else if (_request.OriginateTimeout is { } originateTimeout)
        {
            var early = _early?.Find(IsOriginateResponse);
            if (early is not null)
            {
                _early!.Remove(early);
                ForwardEarly();
                _events = [early];
                Finish();
                return;
            }
            ForwardEarly();
            _stage = Stage.OriginateResponse;
            _originateDeadline = Context.System.Scheduler.Now + originateTimeout;
            Context.Parent.Tell(new ExtendDeadline(_request.ActionId, _originateDeadline));
        }
        else
        {
            ForwardEarly();
            Finish();
        }
    }

    private void OnEvent(AmiMessage e)
    {
        switch (_stage)
        {
            case Stage.Response:
                (_early ??= new List<AmiMessage>()).Add(e);
                break;
            case Stage.ListItems:
                if (e.IsListComplete)
                {
                    Finish(e);
                }
                else
                {
                    _events!.Add(e);
                }
                break;
            case Stage.OriginateResponse when IsOriginateResponse(e):
                _events = [e];
                Finish();
                break;
            default:
                // Not part of this reply (a UserEvent carrying our ActionID, say): it is an ordinary event.
                _request.Router.Tell(new AmiEventRouterActor.RouteEvents(_request.ServerId, e));
                break;
        }
    }

    private void OnDeadline(DateTimeOffset at)
    {
        switch (_stage)
        {
            case Stage.Response:
                Fail(new AmiActionTimeoutException(_request.ServerId, _request.ActionName, _request.ActionId, _request.ResponseTimeout, "the response"));
                break;
            case Stage.ListItems:
                Fail(new AmiActionTimeoutException(_request.ServerId, _request.ActionName, _request.ActionId, _request.ResponseTimeout, "the list to complete"));
                break;
            // The response deadline may pass while the extension to the OriginateResponse deadline is on its way: only the latter counts.
            case Stage.OriginateResponse when at >= _originateDeadline:
                Fail(new AmiActionTimeoutException(_request.ServerId, _request.ActionName, _request.ActionId, _request.OriginateTimeout!.Value, "OriginateResponse"));
                break;
        }
    }

    private static bool IsOriginateResponse(AmiMessage e) => e.HasValue("Event", "OriginateResponse");

    private void ForwardEarly()
    {
        if (_early is { Count: > 0 })
        {
            _request.Router.Tell(new AmiEventRouterActor.RouteEvents(_request.ServerId, _early));
        }
        _early = null;
    }

    private void Finish(AmiMessage? complete = null)
    {
        _request.Asker.Tell(new AmiActionResult(_request.ServerId, _request.ActionId, _response!, (IReadOnlyList<AmiMessage>?)_events ?? Array.Empty<AmiMessage>(), complete));
        End();
    }

    private void Fail(Exception error)
    {
        if (_stage == Stage.Finished)
        {
            return;
        }
        // Events that carried the ActionID but are not part of a reply that will never come are ordinary events.
        ForwardEarly();
        _request.Asker.Tell(new Status.Failure(error));
        End();
    }

    // The asker has its answer. This actor does not stop itself: the connection may already have routed to it more frames
    // carrying its ActionID (an event written right after the response, in the same read). The connection removes its entry
    // when it gets Done and then sends Release, which queues behind every frame it routed here, so each of those reaches
    // the event router (OnEvent, Finished) instead of dead letters.
    private void End()
    {
        _stage = Stage.Finished;
        Context.Parent.Tell(new Done(_request.ActionId));
    }

    private sealed class Producer : IIndirectActorProducer
    {
        public Type ActorType => typeof(AmiCorrelationActor);

        public ActorBase Produce() => new AmiCorrelationActor();

        public void Release(ActorBase actor)
        {
        }
    }
}
