using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using AmiActors.Cluster;

namespace AmiActors.Cli;

/// <summary>
/// How <c>ami listen</c> joins an Akka.NET cluster (<c>ami.listen.cluster</c> in HOCON, <c>Ami:Listen:Cluster</c> in JSON):
/// Akka.Remote on <see cref="Hostname"/>:<see cref="Port"/>, Akka.Cluster with <see cref="SeedNodes"/> and <see cref="Roles"/>,
/// and AmiActors.Cluster over them. Workers whose roles include <see cref="HostingRole"/> host PBX connections (one per PBX
/// in the whole cluster); the others are proxy-only.
/// </summary>
internal sealed record ListenCluster(string Hostname, int Port, string? PublicHostname, IReadOnlyList<string> SeedNodes, IReadOnlyList<string> Roles, string HostingRole)
{
    /// <summary>The actor system name of every <c>ami listen</c> worker: seed node addresses must name it.</summary>
    internal const string SystemName = "ami";

    internal const int DefaultPort = 4053;

    /// <summary>The keys of <c>ami.listen.cluster</c> (HOCON) and their <c>Ami:Listen:Cluster</c> (JSON) names.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["enabled"] = "Enabled",
        ["hostname"] = "Hostname",
        ["port"] = "Port",
        ["public-hostname"] = "PublicHostname",
        ["seed-nodes"] = "SeedNodes",
        ["roles"] = "Roles",
    };

    /// <summary>True when this worker hosts PBX connections (it has the hosting role, or the hosting role is empty).</summary>
    public bool HostsConnections => string.IsNullOrEmpty(HostingRole) || Roles.Contains(HostingRole, StringComparer.Ordinal);

    /// <summary>The address other nodes reach this worker at.</summary>
    public string SelfAddress => $"akka.tcp://{SystemName}@{PublicHostname ?? Hostname}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The Akka settings of the node: remoting, cluster membership, the split-brain resolver as downing provider. The
    /// configuration file's own <c>akka.*</c> keys still win over these (for example failure-detector timings).
    /// </summary>
    public Config ToHocon() => ConfigurationFactory.ParseString($$"""
        akka {
          actor.provider = cluster
          remote.dot-netty.tcp {
            hostname = {{Quote(Hostname)}}
            port = {{Port.ToString(CultureInfo.InvariantCulture)}}
            {{(PublicHostname is null ? "" : "public-hostname = " + Quote(PublicHostname))}}
          }
          cluster {
            seed-nodes = [{{string.Join(", ", SeedNodes.Select(Quote))}}]
            roles = [{{string.Join(", ", Roles.Select(Quote))}}]
            downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
          }
        }
        """);

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>A value as read, with where it came from (for the one-line error).</summary>
    internal sealed record Setting(string? Text, IReadOnlyList<string>? Items, string Where);

    /// <summary>
    /// Builds and checks the cluster settings from the values read (null when a key is not set anywhere); null when the
    /// worker runs alone. Every problem is a <see cref="CliException"/> naming where the value came from.
    /// </summary>
    public static ListenCluster? Create(Func<string, Setting?> read, string source, string hostingRole)
    {
        var enabled = read("enabled");
        bool on = enabled is not null && ListenConfiguration.ParseSwitch(enabled);
        if (!on)
        {
            var stray = enabled is null ? Keys.Keys.Where(k => k != "enabled").Select(read).FirstOrDefault(s => s is not null) : null;
            if (stray is not null)
            {
                throw CliException.Usage($"{stray.Where} is set but cluster mode is not enabled: set ami.listen.cluster.enabled = on (Ami:Listen:Cluster:Enabled = true) to join a cluster, or off to run alone.");
            }
            return null;
        }

        var hostname = read("hostname");
        if (hostname is null || string.IsNullOrWhiteSpace(hostname.Text))
        {
            throw CliException.Usage($"{source}: ami.listen.cluster.hostname is required in cluster mode: the address this worker binds Akka.Remote to and other workers reach it at (for example \"10.0.0.11\").");
        }
        string host = CheckHost(hostname.Text.Trim(), hostname.Where);

        int port = DefaultPort;
        if (read("port") is { } portSetting)
        {
            if (!int.TryParse(portSetting.Text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
            {
                throw CliException.Usage($"{portSetting.Where} must be a port from 0 to 65535 (got '{portSetting.Text}').");
            }
        }

        string? publicHost = null;
        if (read("public-hostname") is { Text: { } p } publicSetting && !string.IsNullOrWhiteSpace(p))
        {
            publicHost = CheckHost(p.Trim(), publicSetting.Where);
        }

        var seedSetting = read("seed-nodes");
        var seeds = seedSetting?.Items ?? [];
        if (seeds.Count == 0)
        {
            throw CliException.Usage($"{source}: ami.listen.cluster.seed-nodes needs at least one node address (akka.tcp://{SystemName}@HOST:PORT), for example this worker's own {$"akka.tcp://{SystemName}@{publicHost ?? host}:{port}"} on the first worker.");
        }
        foreach (var seed in seeds)
        {
            CheckSeed(seed, seedSetting!.Where);
        }

        var roleSetting = read("roles");
        IReadOnlyList<string> roles = roleSetting?.Items ?? (string.IsNullOrEmpty(hostingRole) ? [] : [hostingRole]);
        foreach (var role in roles)
        {
            if (string.IsNullOrWhiteSpace(role) || role.Any(c => char.IsWhiteSpace(c) || c is '"' or ','))
            {
                throw CliException.Usage($"{roleSetting!.Where}: '{role}' is not a role name (no spaces, quotes or commas).");
            }
        }
        return new ListenCluster(host, port, publicHost, seeds.Distinct(StringComparer.Ordinal).ToList(), roles.Distinct(StringComparer.Ordinal).ToList(), hostingRole);
    }

    private static string CheckHost(string text, string where) =>
        Uri.CheckHostName(text) != UriHostNameType.Unknown
            ? text
            : throw CliException.Usage($"{where}: '{text}' is not a host name or IP address.");

    private static void CheckSeed(string seed, string where)
    {
        string example = $"akka.tcp://{SystemName}@HOST:PORT";
        Address address;
        try
        {
            address = Address.Parse(seed.Trim());
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException or InvalidOperationException)
        {
            throw CliException.Usage($"{where}: '{seed}' is not a node address (give {example}).");
        }
        if (address.Protocol != "akka.tcp")
        {
            throw CliException.Usage($"{where}: '{seed}' is not a node address: the protocol must be akka.tcp (give {example}).");
        }
        if (address.System != SystemName)
        {
            throw CliException.Usage($"{where}: '{seed}' names the actor system '{address.System}', but ami listen workers run the system '{SystemName}' (give {example}).");
        }
        if (string.IsNullOrEmpty(address.Host) || Uri.CheckHostName(address.Host) == UriHostNameType.Unknown)
        {
            throw CliException.Usage($"{where}: '{seed}' has no valid host (give {example}).");
        }
        if (address.Port is not (> 0 and <= 65535))
        {
            throw CliException.Usage($"{where}: '{seed}' needs a port from 1 to 65535 (give {example}).");
        }
    }
}
