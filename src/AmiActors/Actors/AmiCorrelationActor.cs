using Akka.Actor;
using AmiActors.Protocol;

namespace AmiActors.Actors;

/// <summary>
/// Collects the reply of one action (response; list items and Complete; OriginateResponse) and answers the asker,
/// or fails it on timeout or connection loss. A child of the connection actor; tells it <see cref="Done"/> and stops.
/// </summary>
internal sealed class AmiCorrelationActor : UntypedActor, IWithTimers
{
    /// <summary>What the connection tells a correlation actor when the connection is lost.</summary>
    public sealed record ConnectionLost(string Reason);

    /// <summary>Sent to the connection when the reply is complete (or failed): the ActionID can be forgotten.</summary>
    public sealed record Done(string ActionId);

    /// <summary>Everything a correlation actor needs; one allocation per action.</summary>
    public sealed record Request(string ServerId, string ActionName, string ActionId, IActorRef Asker, TimeSpan ResponseTimeout, TimeSpan? OriginateTimeout, IActorRef Router);

    private sealed class Timeout
    {
        public static readonly Timeout Instance = new();
    }

    private const string TimeoutKey = "timeout";

    private readonly Request _request;
    private AmiMessage? _response;
    private List<AmiMessage>? _events;
    private List<AmiMessage>? _early;
    private int _stage; // 0 response, 1 list items, 2 OriginateResponse
    private bool _finished;

    public AmiCorrelationActor(Request request) => _request = request;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(Request request) => Akka.Actor.Props.CreateBy(new Producer(request));

    protected override void PreStart() => Timers.StartSingleTimer(TimeoutKey, Timeout.Instance, _request.ResponseTimeout);

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
            case ConnectionLost lost:
                Fail(new AmiConnectionLostException(_request.ServerId, _request.ActionName, lost.Reason));
                break;
            case Timeout:
                Fail(new AmiActionTimeoutException(_request.ServerId, _request.ActionName, _request.ActionId,
                    _stage == 2 ? _request.OriginateTimeout ?? _request.ResponseTimeout : _request.ResponseTimeout,
                    _stage switch { 1 => "the list to complete", 2 => "OriginateResponse", _ => "the response" }));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnResponse(AmiMessage response)
    {
        if (_response is not null || _finished)
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
            _stage = 1;
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
            _stage = 2;
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
            Timers.StartSingleTimer(TimeoutKey, Timeout.Instance, originateTimeout);
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
            case 0 when _response is null:
                (_early ??= new List<AmiMessage>()).Add(e);
                break;
            case 1:
                if (e.IsListComplete)
                {
                    Finish(e);
                }
                else
                {
                    _events!.Add(e);
                }
                break;
            case 2 when IsOriginateResponse(e):
                _events = [e];
                Finish();
                break;
            default:
                // Not part of this reply (a UserEvent carrying our ActionID, say): it is an ordinary event.
                _request.Router.Tell(new AmiEventRouterActor.RouteEvents(_request.ServerId, [e]));
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
        _finished = true;
        var result = new AmiActionResult(_request.ServerId, _request.ActionId, _response!, (IReadOnlyList<AmiMessage>?)_events ?? Array.Empty<AmiMessage>(), complete);
        _request.Asker.Tell(result);
        // A single-response reply was already forgotten by the connection when it routed the response: no Done needed.
        End(notifyParent: _stage != 0);
    }

    private void Fail(Exception error)
    {
        if (_finished)
        {
            return;
        }
        _finished = true;
        _request.Asker.Tell(new Status.Failure(error));
        End(notifyParent: true);
    }

    private void End(bool notifyParent)
    {
        Timers.CancelAll();
        if (notifyParent)
        {
            Context.Parent.Tell(new Done(_request.ActionId));
        }
        Context.Stop(Self);
    }

    private sealed class Producer(Request request) : IIndirectActorProducer
    {
        public Type ActorType => typeof(AmiCorrelationActor);

        public ActorBase Produce() => new AmiCorrelationActor(request);

        public void Release(ActorBase actor)
        {
        }
    }
}
