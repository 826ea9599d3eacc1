using Akka.Actor;
using AmiActors.Actors;

namespace AmiActors;

/// <summary>
/// How one client's actions reach one server. The manager forwards actions to the server's connection actor; once the
/// client knows that actor, it sends to it directly: one hop, and one thread hand-off, less per action.
/// </summary>
/// <remarks>
/// The switch keeps the order of the calls. The lookup goes through the manager behind the actions already sent there;
/// when actions went to the manager after it, a second lookup serves as a barrier and the actions of the calls made
/// meanwhile are held, then sent directly in call order once the barrier is back, so nothing sent directly can overtake
/// an action still in the manager's mailbox. When the connection actor has terminated (server removed, or re-added
/// under the same id), actions go through the manager again (which answers <see cref="UnknownServerException"/> for a
/// removed server) until the next switch.
/// </remarks>
internal sealed class AmiServerRoute(string serverId, IActorRef manager, TimeSpan lookupTimeout)
{
    private readonly object _gate = new();
    private volatile IActorRef? _direct;
    private List<Held>? _held;
    private long _viaManager;
    private bool _lookingUp;

    /// <summary>True once actions go straight to the connection actor (for tests and diagnostics).</summary>
    public bool IsDirect => _direct is not null;

    /// <summary>True while a lookup is on its way (for tests and diagnostics).</summary>
    public bool IsLookingUp
    {
        get
        {
            lock (_gate)
            {
                return _lookingUp;
            }
        }
    }

    public Task<object> AskAsync(AmiManager.SendAction send, TimeSpan wait, CancellationToken cancellationToken)
    {
        var direct = _direct;
        if (direct is not null && !IsTerminated(direct))
        {
            return direct.Ask(send, wait, cancellationToken);
        }
        lock (_gate)
        {
            direct = _direct;
            if (direct is not null && !IsTerminated(direct))
            {
                return direct.Ask(send, wait, cancellationToken);
            }
            _direct = null;
            if (_held is not null)
            {
                var held = new Held(send, wait, cancellationToken);
                _held.Add(held);
                return held.Reply.Task;
            }
            // Ask sends before it returns: inside the lock, the order of the sends is the order of the calls.
            var reply = manager.Ask(send, wait, cancellationToken);
            _viaManager++;
            if (!_lookingUp)
            {
                LookUp();
            }
            return reply;
        }
    }

    // Under _gate.
    private void LookUp()
    {
        _lookingUp = true;
        long mark = _viaManager;
        manager.Ask(new AmiManagerActor.GetConnection(serverId), lookupTimeout).ContinueWith(
            t => OnLookedUp(t.IsCompletedSuccessfully ? t.Result as AmiManagerActor.ConnectionOf : null, mark),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnLookedUp(AmiManagerActor.ConnectionOf? found, long mark)
    {
        lock (_gate)
        {
            _lookingUp = false;
            if (_held is { } held)
            {
                // The barrier is back: everything sent through the manager is ahead of the held actions. Send them (in
                // order, before any new call can send), directly, or through the manager when the server is gone.
                _held = null;
                foreach (var h in held)
                {
                    h.Send(found?.Connection ?? manager);
                }
                if (found is null)
                {
                    _viaManager += held.Count;
                }
                else
                {
                    _direct = found.Connection;
                }
            }
            else if (found is not null && _viaManager == mark)
            {
                _direct = found.Connection;
            }
            else if (found is not null)
            {
                // Actions went to the manager after the lookup: hold new ones until a second lookup has passed them.
                _held = [];
                LookUp();
            }
            // Unknown server or no answer: stay with the manager; its next action looks up again.
        }
    }

    private static bool IsTerminated(IActorRef actor) => actor is ActorRefWithCell { Underlying.IsTerminated: true };

    private sealed class Held(AmiManager.SendAction action, TimeSpan wait, CancellationToken cancellationToken)
    {
        public TaskCompletionSource<object> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Send(IActorRef target) => target.Ask(action, wait, cancellationToken).ContinueWith(static (t, state) =>
        {
            var reply = (TaskCompletionSource<object>)state!;
            if (t.IsCompletedSuccessfully)
            {
                reply.TrySetResult(t.Result);
            }
            else if (t.IsCanceled)
            {
                reply.TrySetCanceled();
            }
            else
            {
                reply.TrySetException(t.Exception!.InnerExceptions);
            }
        }, Reply, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
