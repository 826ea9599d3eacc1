using System.Runtime.InteropServices;

namespace AmiActors.Cli;

/// <summary>
/// SIGINT and SIGTERM as a graceful stop: the command's token is cancelled (it returns, the actor system shuts down with
/// Logoff) and the default termination is held off.
/// </summary>
/// <remarks>
/// The token's source is never disposed. A command that runs a host has the host's own SIGTERM handler as well; .NET calls
/// every handler of a signal one after the other, so the host's can stop the command, and the process can reach its end,
/// before this one runs. Unregistering does not stop a call already under way: the stop must still be safe then.
/// </remarks>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PosixSignalRegistration> _registrations = [];

    private StopSignals()
    {
    }

    /// <summary>Cancelled at the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Handles SIGINT and SIGTERM until disposed.</summary>
    public static StopSignals Register()
    {
        var signals = new StopSignals();
        signals._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, signals.Handle));
        signals._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, signals.Handle));
        return signals;
    }

    /// <summary>What a signal does (also after <see cref="Dispose"/>, for a call .NET had already started).</summary>
    internal void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        _stop.Cancel();
    }

    /// <summary>Stops handling the signals; the token stays valid.</summary>
    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
        _registrations.Clear();
    }
}
