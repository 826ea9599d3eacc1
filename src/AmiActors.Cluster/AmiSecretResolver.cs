namespace AmiActors.Cluster;

/// <summary>
/// Resolves a server's secret reference on the node that hosts its connection: <c>env:NAME</c> from that node's
/// environment, <c>secret:NAME</c> from the custom resolver (if any) then <c>ami.cluster.secrets</c>, <c>config:ID</c> from
/// the secret of <c>ami.servers.ID</c> in that node's configuration (itself resolved when it is an <c>env:</c> or <c>secret:</c>
/// reference). Secrets never leave the node that reads them.
/// </summary>
internal sealed class AmiSecretResolver(AmiClusterSettings cluster, AmiSettings local, Func<string, string?>? custom)
{
    public string? Resolve(string secretRef) => Resolve(secretRef, followConfig: true);

    private string? Resolve(string secretRef, bool followConfig)
    {
        if (secretRef.StartsWith("env:", StringComparison.Ordinal))
        {
            return Environment.GetEnvironmentVariable(secretRef["env:".Length..]);
        }
        if (secretRef.StartsWith("secret:", StringComparison.Ordinal))
        {
            string name = secretRef["secret:".Length..];
            return custom?.Invoke(name) ?? (cluster.Secrets.TryGetValue(name, out var s) ? s : null);
        }
        if (followConfig && secretRef.StartsWith("config:", StringComparison.Ordinal))
        {
            string id = secretRef["config:".Length..];
            string? configured = local.Servers.FirstOrDefault(s => string.Equals(s.Id, id, StringComparison.Ordinal))?.Secret;
            // A configured secret may itself be a reference (env:PBX1_SECRET): the hosting node resolves it, once; a config:
            // reference there would only point back into the configuration and is not followed.
            return configured is not null && (configured.StartsWith("env:", StringComparison.Ordinal) || configured.StartsWith("secret:", StringComparison.Ordinal))
                ? Resolve(configured, followConfig: false)
                : configured;
        }
        return null;
    }
}
