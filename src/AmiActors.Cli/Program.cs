using AmiActors.Cli;

// The runtime configuration turns thread-pool spinning off (System.Threading.ThreadPool.UnfairSemaphoreSpinLimit = 0): the
// long-running commands (listen, tail, demo) then spend far less CPU per event and when idle. The commands that measure or
// wait on one round trip at a time get .NET's default spin back, which keeps a woken worker ready for the next reply. Set
// before the thread pool starts its first worker, which reads it; DOTNET_ThreadPool_UnfairSemaphoreSpinLimit still wins.
if (args is ["send", ..] or ["bench", "actions", ..])
{
    AppContext.SetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", 70);
}

// SIGINT and SIGTERM request a graceful stop.
using var signals = StopSignals.Register();
var console = new CliConsole(Console.Out, Console.Error, Console.OpenStandardInput, !Console.IsOutputRedirected, Environment.GetEnvironmentVariable);
return await CliApp.RunAsync(args, console, signals.Token);
