using Akka.Streams;
using Akka.Streams.Dsl;

namespace AmiActors.Cli;

/// <summary><c>ami tail</c>.</summary>
internal static class TailCommand
{
    public static async Task<int> RunAsync(CliConsole console, ConnectionSpec connection, IReadOnlyList<string> names, long? count, bool json, CancellationToken ct)
    {
        await using var session = await ClientSession.OpenAsync(connection.Server, connection.ConnectTimeout, ct).ConfigureAwait(false);
        var source = session.Client.Events(ClientSession.ServerId, names.Count == 0 ? null : names, bufferSize: 65_536);
        if (count is { } n)
        {
            source = source.Take(n);
        }
        var (killSwitch, done) = source
            .ViaMaterialized(KillSwitches.Single<AmiEventReceived>(), Keep.Right)
            .ToMaterialized(Sink.ForEach<AmiEventReceived>(e => MessageOutput.Write(console.Stdout, e.Event, json, json ? e.ServerId : null)), Keep.Both)
            .Run(session.System.Materializer());
        await using (ct.Register(killSwitch.Shutdown))
        {
            await done.ConfigureAwait(false);
        }
        await console.Stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
