using Akka.Actor;
using Akka.Cluster;
using AmiActors.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace AmiActors.Cli;

/// <summary>
/// Readiness of a cluster worker: the node itself is an <c>Up</c> member (health check <c>ami-cluster</c>), and each
/// configured server is logged in somewhere in the cluster (checks <c>ami:&lt;id&gt;</c>, with the node that hosts it).
/// </summary>
internal static class ListenClusterHealth
{
    internal const string NodeCheck = "ami-cluster";

    public static void Add(IHealthChecksBuilder builder, IReadOnlyList<string> serverIds)
    {
        builder.Add(new HealthCheckRegistration(NodeCheck, sp => new NodeHealthCheck(sp.GetRequiredService<ActorSystem>()), HealthStatus.Unhealthy, ["ami"]));
        foreach (var id in serverIds)
        {
            builder.Add(new HealthCheckRegistration("ami:" + id, sp => new ServerHealthCheck(sp.GetRequiredService<IAmiClient>(), id), HealthStatus.Unhealthy, ["ami"]));
        }
    }

    /// <summary>Healthy when this node is Up; degraded while it joins; unhealthy once it leaves, is down or removed.</summary>
    private sealed class NodeHealthCheck(ActorSystem system) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var state = cluster.State;
            var self = state.Members.FirstOrDefault(m => m.Address.Equals(cluster.SelfAddress));
            var status = self?.Status;
            int up = state.Members.Count(m => m.Status == MemberStatus.Up);
            int unreachable = state.Unreachable.Count;
            var health = cluster.IsTerminated ? context.Registration.FailureStatus : status switch
            {
                MemberStatus.Up => HealthStatus.Healthy,
                null or MemberStatus.Joining or MemberStatus.WeaklyUp => HealthStatus.Degraded,
                _ => context.Registration.FailureStatus,
            };
            string what = status is null ? "not a member yet (joining the seed nodes)" : $"{status}";
            var data = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["state"] = cluster.IsTerminated ? "Removed" : status?.ToString() ?? "Joining",
                ["node"] = cluster.SelfAddress.ToString(),
                ["roles"] = cluster.SelfRoles.ToArray(),
                ["membersUp"] = up,
                ["unreachable"] = unreachable,
            };
            return Task.FromResult(new HealthCheckResult(health, $"{cluster.SelfAddress} is {what}; {up} members Up, {unreachable} unreachable", null, data));
        }
    }

    /// <summary>A server's state wherever it is hosted, and the node that hosts it.</summary>
    private sealed class ServerHealthCheck(IAmiClient client, string serverId) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            IReadOnlyList<AmiServerStatus> servers;
            try
            {
                servers = await client.GetServersAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"The AMI cluster manager did not answer: {e.Message}");
            }
            var server = servers.FirstOrDefault(s => s.ServerId == serverId);
            if (server is null)
            {
                // Defined by this worker shortly after it starts; until the definition has spread it is not known here.
                return HealthCheckResult.Degraded($"AMI server '{serverId}' is not defined in the cluster yet.", null,
                    new Dictionary<string, object>(StringComparer.Ordinal) { ["state"] = "Undefined" });
            }
            var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["state"] = server.State.ToString() };
            if (server.Node is not null)
            {
                data["node"] = server.Node;
            }
            string where = server.Node is null ? "" : $" on {server.Node}";
            return new HealthCheckResult(AmiHealthCheck.StatusOf(server.State, context.Registration.FailureStatus), $"{serverId}: {server.State}{where}", null, data);
        }
    }
}

/// <summary>
/// Logs each server's connection state changes as the cluster sees them (from any worker), and which node hosts each
/// server whenever that changes.
/// </summary>
internal sealed class PlacementLogActor : ReceiveActor, IWithTimers
{
    private readonly Dictionary<string, string> _hosts = new(StringComparer.Ordinal);

    public PlacementLogActor(IActorRef manager, string self, ILogger logger)
    {
        Receive<ConnectionStateChanged>(c =>
        {
            logger.LogInformation("AMI server {AmiServer} (cluster): {PreviousState} -> {State}; {Reason}", c.ServerId, c.Previous, c.Current, c.Reason);
            manager.Tell(AmiManager.GetServers.Instance);
        });
        Receive<AmiManager.GetServersResult>(r =>
        {
            foreach (var s in r.Servers)
            {
                if (s.Node is null || (_hosts.TryGetValue(s.ServerId, out var known) && known == s.Node))
                {
                    continue;
                }
                _hosts[s.ServerId] = s.Node;
                logger.LogInformation("AMI server {AmiServer} is hosted on {AmiNode}{AmiNodeSelf}", s.ServerId, s.Node, s.Node == self ? " (this worker)" : "");
            }
        });
        Receive<AmiManager.Subscribed>(_ => { });
        Receive<Poll>(_ => manager.Tell(AmiManager.GetServers.Instance));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    // A state can arrive before the server's definition has reached this node's replica: look again now and then.
    protected override void PreStart() => Timers.StartPeriodicTimer("poll", Poll.Instance, TimeSpan.FromSeconds(1));

    private sealed class Poll
    {
        public static readonly Poll Instance = new();
    }
}
