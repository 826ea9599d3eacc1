using Akka.Streams;
using Akka.Streams.Dsl;

namespace AmiActors.Cli;

/// <summary><c>ami tail</c>.</summary>
internal static class TailCommand
{
    public static async Task<int> RunAsync(CliConsole console, ConnectionSpec connection, IReadOnlyList<string> names, long? count, bool json, CancellationToken ct)
    {
        // Subscribe first, then connect: the events that arrive with the login response are printed too.
        UniqueKillSwitch? killSwitch = null;
        Task? done = null;
        await using var session = await ClientSession.OpenAsync(connection.Server, connection.ConnectTimeout, ct, beforeConnect: async (system, client) =>
        {
            var source = client.Events(ClientSession.ServerId, names.Count == 0 ? null : names, bufferSize: 65_536);
            if (count is { } n)
            {
                source = source.Take(n);
            }
            var ((subscribed, kill), completion) = source
                .ViaMaterialized(KillSwitches.Single<AmiEventReceived>(), Keep.Both)
                .ToMaterialized(Sink.ForEach<AmiEventReceived>(e => MessageOutput.Write(console.Stdout, e.Event, json, json ? e.ServerId : null)), Keep.Both)
                .Run(system.Materializer());
            (killSwitch, done) = (kill, completion);
            await subscribed.ConfigureAwait(false);
        }).ConfigureAwait(false);
        await using (ct.Register(killSwitch!.Shutdown))
        {
            await done!.ConfigureAwait(false);
        }
        await console.Stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
