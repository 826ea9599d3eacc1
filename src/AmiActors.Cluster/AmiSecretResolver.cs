namespace AmiActors.Cluster;

/// <summary>
/// Resolves a server's secret reference on the node that hosts its connection: <c>env:NAME</c> from that node's
/// environment, <c>secret:NAME</c> from the custom resolver (if any) then <c>ami.cluster.secrets</c>, <c>config:ID</c> from
/// the secret of <c>ami.servers.ID</c> in that node's configuration. Secrets never leave the node that reads them.
/// </summary>
internal sealed class AmiSecretResolver(AmiClusterSettings cluster, AmiSettings local, Func<string, string?>? custom)
{
    public string? Resolve(string secretRef)
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
        if (secretRef.StartsWith("config:", StringComparison.Ordinal))
        {
            string id = secretRef["config:".Length..];
            return local.Servers.FirstOrDefault(s => string.Equals(s.Id, id, StringComparison.Ordinal))?.Secret;
        }
        return null;
    }
}
