using System.Runtime.InteropServices;
using AmiActors.Cli;

// SIGINT and SIGTERM request a graceful stop (the command returns, the actor system shuts down with Logoff).
using var stop = new CancellationTokenSource();
void RequestStop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop);
var console = new CliConsole(Console.Out, Console.Error, Console.OpenStandardInput, !Console.IsOutputRedirected, Environment.GetEnvironmentVariable);
return await CliApp.RunAsync(args, console, stop.Token);
