using System.Runtime.InteropServices;

namespace AmiActors.Cli.Tests;

public sealed class StopSignalsTests
{
    [Fact]
    public void A_signal_cancels_the_token_and_holds_off_the_default_termination()
    {
        using var signals = StopSignals.Register();
        var context = new PosixSignalContext(PosixSignal.SIGTERM);
        signals.Handle(context);
        Assert.True(signals.Token.IsCancellationRequested);
        Assert.True(context.Cancel);
    }

    [Fact]
    public void A_signal_handled_after_the_command_returned_is_still_safe()
    {
        // The host's SIGTERM handler stopped the command and Main disposed its registrations; .NET then calls this handler
        // for the same signal (it had started the call already). Before, this threw and the process aborted (exit 134).
        var signals = StopSignals.Register();
        var token = signals.Token;
        signals.Dispose();
        var context = new PosixSignalContext(PosixSignal.SIGTERM);
        signals.Handle(context);
        signals.Handle(new PosixSignalContext(PosixSignal.SIGINT));
        Assert.True(token.IsCancellationRequested);
        Assert.True(context.Cancel);
    }
}
