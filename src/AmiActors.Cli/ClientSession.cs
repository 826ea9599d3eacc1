using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using AmiActors.Hosting;

namespace AmiActors.Cli;

/// <summary>
/// An actor system and client connected to one server for a one-shot command (send, tail, bench). Opening it waits
/// until the login succeeds, and fails with exit code 3 at the first connection or login failure.
/// </summary>
internal sealed class ClientSession : IAsyncDisposable
{
    public const string ServerId = "cli";

    private static readonly Config Quiet = ConfigurationFactory.ParseString("""
        akka.loglevel = OFF
        akka.stdout-loglevel = OFF
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        ami.reconnect.max-attempts = 0
        # Timers at 100 ms resolution are ample for AMI timeouts (seconds); the default 10 ms tick alone kept an idle
        # `ami tail` at 3-4 % of a core, 100 ms at under 1 %.
        akka.scheduler.tick-duration = 100ms
        """);

    private ClientSession(ActorSystem system, IAmiClient client, string serverId)
    {
        System = system;
        Client = client;
        _serverId = serverId;
    }

    private readonly string _serverId;

    public ActorSystem System { get; }

    public IAmiClient Client { get; }

    /// <summary>
    /// Connects and logs in; throws a <see cref="CliException"/> (exit 3) on failure. <paramref name="beforeConnect"/> runs once the
    /// client exists and before the server is added: subscriptions it makes (and awaits) see the server's first event.
    /// </summary>
    public static async Task<ClientSession> OpenAsync(AmiServerDefinition server, TimeSpan timeout, CancellationToken ct, Config? extra = null,
        Func<ActorSystem, IAmiClient, Task>? beforeConnect = null)
    {
        var config = (extra ?? Config.Empty).WithFallback(Quiet).WithFallback(AmiRuntime.DefaultConfig);
        var system = ActorSystem.Create("ami-cli", config);
        try
        {
            var states = Channel.CreateUnbounded<ConnectionStateChanged>();
            var watcher = system.ActorOf(Props.Create(() => new StateWatcher(states.Writer)), "cli-state-watcher");
            system.EventStream.Subscribe(watcher, typeof(ConnectionStateChanged));
            var client = AmiRuntime.Start(system);
            if (beforeConnect is not null)
            {
                await beforeConnect(system, client).ConfigureAwait(false);
            }
            await client.AddServerAsync(server, ct).ConfigureAwait(false);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            try
            {
                await WaitForLoginAsync(states.Reader, server, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw CliException.Connection($"no login to {Describe(server)} within {timeout.TotalSeconds:0} s.");
            }
            return new ClientSession(system, client, server.Id);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task WaitForLoginAsync(ChannelReader<ConnectionStateChanged> states, AmiServerDefinition server, CancellationToken ct)
    {
        while (true)
        {
            var change = await states.ReadAsync(ct).ConfigureAwait(false);
            if (change.ServerId != server.Id)
            {
                continue;
            }
            switch (change.Current)
            {
                case AmiConnectionState.Connected:
                    return;
                case AmiConnectionState.AuthenticationFailed:
                    throw CliException.Connection($"login to {Describe(server)} failed: {OneShot(change.Reason) ?? "the server rejected the credentials"}.");
                case AmiConnectionState.Reconnecting:
                case AmiConnectionState.Stopped:
                    throw CliException.Connection($"cannot connect to {Describe(server)}: {OneShot(change.Reason) ?? "connection failed"}.");
            }
        }
    }

    /// <summary>A reason as a one-shot command reports it: it does not retry (no "next attempt in"), and ends in one period.</summary>
    internal static string? OneShot(string? reason) =>
        reason is null ? null : global::System.Text.RegularExpressions.Regex.Replace(reason, @"; next attempt in \d+ ms$", "").TrimEnd('.', ' ');

    private static string Describe(AmiServerDefinition s) => $"{(s.UseTls ? "tls" : "tcp")}://{s.Username}@{s.Host}:{s.Port}";

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.RemoveServerAsync(_serverId).WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AmiException or TimeoutException or AskTimeoutException)
        {
            // Logoff is a courtesy: the socket closes with the system anyway.
        }
        await System.Terminate().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    private sealed class StateWatcher : ReceiveActor
    {
        public StateWatcher(ChannelWriter<ConnectionStateChanged> writer) =>
            Receive<ConnectionStateChanged>(c => writer.TryWrite(c));
    }
}
