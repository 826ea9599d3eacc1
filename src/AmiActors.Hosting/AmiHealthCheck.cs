using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AmiActors.Hosting;

/// <summary>
/// Health of one AMI server (or of all of them): healthy when logged in, degraded while connecting or reconnecting (and, for
/// the check of all servers, when no server is configured), unhealthy when the credentials were rejected, the connection
/// stopped, or the server is unknown.
/// </summary>
public sealed class AmiHealthCheck : IHealthCheck
{
    private readonly IAmiClient _client;
    private readonly string? _serverId;

    /// <summary>Creates the check for one server, or for every server when <paramref name="serverId"/> is null.</summary>
    public AmiHealthCheck(IAmiClient client, string? serverId)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _serverId = serverId;
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<AmiServerStatus> servers;
        try
        {
            servers = await _client.GetServersAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The AMI manager did not answer: {e.Message}");
        }
        if (_serverId is not null)
        {
            var server = servers.FirstOrDefault(s => s.ServerId == _serverId);
            return server is null
                ? new HealthCheckResult(context.Registration.FailureStatus, $"AMI server '{_serverId}' is not configured.")
                : Evaluate([server], context.Registration.FailureStatus);
        }
        return servers.Count == 0
            ? HealthCheckResult.Degraded("no AMI server configured")
            : Evaluate(servers, context.Registration.FailureStatus);
    }

    /// <summary>The status a connection state maps to.</summary>
    public static HealthStatus StatusOf(AmiConnectionState state, HealthStatus failureStatus = HealthStatus.Unhealthy) => state switch
    {
        AmiConnectionState.Connected => HealthStatus.Healthy,
        AmiConnectionState.AuthenticationFailed or AmiConnectionState.Stopped => failureStatus,
        _ => HealthStatus.Degraded,
    };

    private static HealthCheckResult Evaluate(IReadOnlyList<AmiServerStatus> servers, HealthStatus failureStatus)
    {
        var worst = servers.Select(s => StatusOf(s.State, failureStatus)).Min();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var s in servers)
        {
            data[s.ServerId] = s.State.ToString();
        }
        string description = string.Join(", ", servers.Select(s => $"{s.ServerId}: {s.State}"));
        return new HealthCheckResult(worst, description, null, data);
    }
}
