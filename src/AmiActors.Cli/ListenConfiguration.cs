using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using AmiActors.Cluster;
using AmiActors.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace AmiActors.Cli;

/// <summary>How <c>ami listen</c> writes its log.</summary>
internal enum LogFormat
{
    /// <summary>One human-readable line per event.</summary>
    Text,

    /// <summary>Serilog compact JSON (CLEF): one JSON object per line, every structured property kept.</summary>
    Json,
}

/// <summary>
/// Everything <c>ami listen</c> runs with, read and checked before anything starts. Every problem becomes one
/// <see cref="CliException"/> (exit code 2) whose line names where the value came from (the file, or the environment
/// variable), the key, and what is wrong; a syntax error also names the line. Secrets never appear in it.
/// </summary>
internal sealed record ListenConfiguration(AmiOptions Options, Config? Hocon, IReadOnlyList<string> ServerIds, IReadOnlyList<AmiServerDefinition> Servers, HttpListenAddress? Http, LogFormat LogFormat,
    ListenCluster? Cluster = null, bool SocketThread = false)
{
    /// <summary>The HOCON keys and JSON section of the worker's own settings.</summary>
    internal const string HoconSection = "ami.listen";
    internal const string JsonSection = "Ami:Listen";

    private static readonly HashSet<string> ServerKeys = new(StringComparer.Ordinal)
    {
        "host", "port", "username", "secret", "auth-type", "tls", "tls-accept-invalid-certificate", "tls-server-name",
        "event-mask", "connect-timeout", "login-timeout", "action-timeout",
    };

    private static readonly HashSet<string> ListenKeys = new(StringComparer.Ordinal) { "http", "log-format", "cluster", "socket-thread" };

    /// <summary>
    /// Reads appsettings.json of the working directory and the environment (as the Generic Host does), then
    /// <paramref name="configFile"/> (HOCON, or JSON when it ends in .json), keeps only <paramref name="onlyServers"/>
    /// when given, applies the command-line overrides, and validates the result the way the actor system will.
    /// </summary>
    public static ListenConfiguration Load(string? configFile, IReadOnlyList<string> onlyServers, string? httpOption, string? logFormatOption)
    {
        var configuration = new ConfigurationManager();
        string appsettings = Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json");
        // Messages name the files as the user gave them, not by absolute path.
        var names = new Dictionary<string, string>(StringComparer.Ordinal) { [appsettings] = "appsettings.json" };
        var origins = new Origins(configuration, names);
        Config? hocon = null;
        Guard(appsettings, () => configuration.AddJsonFile(appsettings, optional: true, reloadOnChange: false));
        configuration.AddEnvironmentVariables();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw CliException.Usage($"the configuration file '{configFile}' does not exist.");
            }
            if (configFile.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                string full = Path.GetFullPath(configFile);
                names[full] = configFile;
                Guard(configFile, () => configuration.AddJsonFile(full, optional: false, reloadOnChange: false));
            }
            else
            {
                hocon = LoadHocon(configFile);
                CheckHoconKeys(configFile, hocon);
            }
        }

        var options = new AmiOptions();
        try
        {
            configuration.GetSection(AmiOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw CliException.Usage(DescribeBindError(origins, e));
        }

        var configured = ConfiguredIds(options, hocon);
        if (configured.Count == 0)
        {
            throw CliException.Usage("no AMI server is configured: give --config FILE (HOCON with ami.servers, or JSON with an Ami:Servers list) or set Ami__Servers__0__Host and friends.");
        }
        var unknown = onlyServers.Where(id => !configured.Contains(id)).ToList();
        if (unknown.Count > 0)
        {
            throw CliException.Usage($"unknown server id(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}; configured: {string.Join(", ", configured)}.");
        }
        if (onlyServers.Count > 0)
        {
            options.Servers.RemoveAll(s => !onlyServers.Contains(s.EffectiveId));
            if (hocon is not null)
            {
                KeepServers(hocon, onlyServers);
            }
        }

        string optionsHocon;
        IReadOnlyList<AmiServerDefinition> servers;
        try
        {
            options.Validate();
            optionsHocon = options.ToHocon();
        }
        catch (ArgumentException e)
        {
            throw CliException.Usage($"{origins.OfMessage(e.Message)}: {e.Message.TrimEnd('.')}.");
        }
        // The same reading and checks the manager does when it starts, on the same merged configuration.
        servers = ReadMerged(hocon, configFile, optionsHocon, "", merged => AmiSettings.Create(merged).Servers);

        var cluster = ReadCluster(hocon, configFile, origins, optionsHocon);
        if (cluster is not null)
        {
            CheckClusterSecrets(cluster, servers, options, hocon, configFile, origins);
        }

        var http = ReadHttp(httpOption, hocon, configFile, origins);
        var format = ReadLogFormat(logFormatOption, hocon, configFile, origins);
        bool socketThread = ReadSocketThread(hocon, configFile, origins);
        var running = onlyServers.Count > 0 ? onlyServers.Distinct(StringComparer.Ordinal).ToList() : configured.Order(StringComparer.Ordinal).ToList();
        // The manager starts with no server: the worker's event log subscribes first, then adds them, so the events that
        // arrive with a login response are logged too.
        options.Servers.Clear();
        if (hocon is not null)
        {
            KeepServers(hocon, []);
        }
        return new ListenConfiguration(options, hocon, running, servers, http, format, cluster, socketThread);
    }

    /// <summary>
    /// <c>ami.listen.cluster</c> from the HOCON file, else <c>Ami:Listen:Cluster</c> from the JSON file, appsettings.json or
    /// the environment (<c>Ami__Listen__Cluster__Port</c>, ...); null when the worker runs alone.
    /// </summary>
    private static ListenCluster? ReadCluster(Config? hocon, string? file, Origins origins, string optionsHocon)
    {
        ListenCluster.Setting? Read(string key)
        {
            string hoconKey = $"{HoconSection}.cluster.{key}";
            if (hocon is not null && hocon.HasPath(hoconKey))
            {
                var value = hocon.GetValue(hoconKey);
                string where = $"{file}: {hoconKey}";
                if (value.IsArray())
                {
                    return new ListenCluster.Setting(null, value.GetArray().Select(v => v.GetString() ?? "").ToList(), where);
                }
                string text = value.GetString() ?? "";
                return new ListenCluster.Setting(text, SplitList(text), where);
            }
            string jsonKey = $"{JsonSection}:Cluster:{ListenCluster.Keys[key]}";
            var section = origins.Configuration.GetSection(jsonKey);
            if (section.Value is { } single)
            {
                return new ListenCluster.Setting(single, SplitList(single), $"{origins.Of(jsonKey)}: {jsonKey}");
            }
            var children = section.GetChildren().ToList();
            return children.Count == 0
                ? null
                : new ListenCluster.Setting(null, children.Select(c => c.Value ?? "").ToList(), $"{origins.Of(jsonKey)}: {jsonKey}");
        }

        // Only read ami.cluster (the hosting role, the secrets) when the worker joins a cluster: it is ignored otherwise.
        var enabled = Read("enabled");
        string role = "ami";
        if (enabled is not null)
        {
            role = ReadMerged(hocon, file, optionsHocon, "ami.cluster: ", merged => AmiClusterSettings.Create(merged).Role);
        }
        return ListenCluster.Create(Read, file ?? "configuration", role);

        static IReadOnlyList<string> SplitList(string text) =>
            text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    // Reads settings from the configuration file merged over the options (HOCON), turning any failure into the one-line usage
    // error: the file when the offending key is in it, and never a stack trace.
    private static T ReadMerged<T>(Config? hocon, string? file, string optionsHocon, string context, Func<Config, T> read)
    {
        try
        {
            return read((hocon ?? Config.Empty).WithFallback(ConfigurationFactory.ParseString(optionsHocon)));
        }
        catch (AmiConfigurationException e)
        {
            string where = hocon is not null && file is not null && hocon.HasPath(e.Key) ? file : "configuration";
            throw CliException.Usage($"{where}: {e.Message["Invalid AMI configuration: ".Length..].TrimEnd('.')}.");
        }
        catch (Exception e) when (e is ConfigurationException or FormatException or InvalidCastException or ArgumentException)
        {
            throw CliException.Usage($"{file ?? "configuration"}: {context}{e.Message.Split('\n', 2)[0].TrimEnd('.', ' ')}.");
        }
    }

    /// <summary>
    /// On a cluster a server's secret is a reference resolved on the node that hosts its connection (<c>env:NAME</c> or
    /// <c>secret:NAME</c>); a secret in clear is refused, naming the key, never the value. A worker that hosts connections
    /// must be able to resolve every reference itself.
    /// </summary>
    private static void CheckClusterSecrets(ListenCluster cluster, IReadOnlyList<AmiServerDefinition> servers, AmiOptions options, Config? hocon, string? file,
        Origins origins)
    {
        IReadOnlyDictionary<string, string>? secrets = null;
        foreach (var server in servers)
        {
            string where;
            string hoconKey = $"ami.servers.{server.Id}.secret";
            int index = options.Servers.FindIndex(s => s.EffectiveId == server.Id);
            if (hocon is not null && file is not null && hocon.HasPath(hoconKey))
            {
                where = $"{file}: {hoconKey}";
            }
            else if (index >= 0)
            {
                string jsonKey = $"{AmiOptions.SectionName}:Servers:{index}:Secret";
                where = $"{origins.Of(jsonKey)}: {jsonKey}";
            }
            else
            {
                where = $"configuration: {hoconKey}";
            }
            string secret = server.Secret ?? "";
            bool reference = (secret.StartsWith("env:", StringComparison.Ordinal) || secret.StartsWith("secret:", StringComparison.Ordinal))
                && AmiClusterServer.IsSecretReference(secret);
            if (!reference)
            {
                throw CliException.Usage($"{where} must be a reference in cluster mode (env:NAME or secret:NAME), resolved by the worker that hosts the connection: a secret in clear would be replicated to every node.");
            }
            if (!cluster.HostsConnections)
            {
                continue;
            }
            if (secret.StartsWith("env:", StringComparison.Ordinal))
            {
                string name = secret["env:".Length..];
                if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
                {
                    throw CliException.Usage($"{where} refers to the environment variable {name}, which is not set on this worker (it hosts connections, role '{cluster.HostingRole}').");
                }
            }
            else
            {
                string name = secret["secret:".Length..];
                secrets ??= hocon is null ? new Dictionary<string, string>() : AmiClusterSettings.Create(hocon).Secrets;
                if (!secrets.ContainsKey(name))
                {
                    throw CliException.Usage($"{where} refers to secret:{name}, but ami.cluster.secrets.{name} is not set on this worker (it hosts connections, role '{cluster.HostingRole}').");
                }
            }
        }
    }

    private static HttpListenAddress? ReadHttp(string? option, Config? hocon, string? file, Origins origins)
    {
        if (option is not null)
        {
            return Parse(option, "--http");
        }
        if (hocon is not null && hocon.HasPath($"{HoconSection}.http"))
        {
            string text = hocon.GetString($"{HoconSection}.http", "") ?? "";
            return text is "" or "off" ? null : Parse(text, $"{file}: {HoconSection}.http");
        }
        var value = origins.Configuration[$"{JsonSection}:Http"];
        if (!string.IsNullOrWhiteSpace(value) && value != "off")
        {
            return Parse(value, $"{origins.Of($"{JsonSection}:Http")}: {JsonSection}:Http");
        }
        return null;

        static HttpListenAddress Parse(string text, string where) =>
            HttpListenAddress.TryParse(text, out var address, out string? problem)
                ? address
                : throw CliException.Usage($"{where}: {problem}");
    }

    private static LogFormat ReadLogFormat(string? option, Config? hocon, string? file, Origins origins)
    {
        var setting = option is not null ? new ListenCluster.Setting(option, null, "--log-format") : ReadListenSetting("log-format", "LogFormat", hocon, file, origins);
        return setting is null ? LogFormat.Text : setting.Text!.Trim().ToLowerInvariant() switch
        {
            "text" => LogFormat.Text,
            "json" => LogFormat.Json,
            _ => throw CliException.Usage($"{setting.Where} must be text or json (got '{setting.Text}')."),
        };
    }

    // ami.listen.socket-thread from the HOCON file, else Ami:Listen:SocketThread; off when neither sets it.
    private static bool ReadSocketThread(Config? hocon, string? file, Origins origins) =>
        ReadListenSetting("socket-thread", "SocketThread", hocon, file, origins) is { } setting && ParseSwitch(setting);

    // ami.listen.KEY from the HOCON file, else Ami:Listen:JSONKEY from the JSON sources; null when neither sets it.
    private static ListenCluster.Setting? ReadListenSetting(string hoconKey, string jsonKey, Config? hocon, string? file, Origins origins)
    {
        if (hocon is not null && hocon.HasPath($"{HoconSection}.{hoconKey}"))
        {
            return new(hocon.GetString($"{HoconSection}.{hoconKey}", "") ?? "", null, $"{file}: {HoconSection}.{hoconKey}");
        }
        string key = $"{JsonSection}:{jsonKey}";
        return origins.Configuration[key] is { } value ? new(value, null, $"{origins.Of(key)}: {key}") : null;
    }

    /// <summary>An on/off setting (on, true, yes / off, false, no); anything else is the one-line usage error naming where it came from.</summary>
    internal static bool ParseSwitch(ListenCluster.Setting setting) => (setting.Text ?? "").Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw CliException.Usage($"{setting.Where} must be on or off (got '{setting.Text}')."),
    };

    private static void Guard(string file, Action load)
    {
        try
        {
            load();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or JsonException)
        {
            var json = Inner<JsonException>(e);
            if (json is null)
            {
                throw CliException.Usage($"{file}: not valid JSON: {(e.InnerException ?? e).Message.TrimEnd('.')}.");
            }
            // System.Text.Json counts lines and bytes from 0.
            string where = json.LineNumber is { } line ? $" line {line + 1}, column {(json.BytePositionInLine ?? 0) + 1}" : "";
            string reason = Regex.Replace(json.Message, @"\s*(Path: \S*\s*\|?\s*)?LineNumber: \d+ \| BytePositionInLine: \d+\.?", "").Trim();
            throw CliException.Usage($"{file}{where}: not valid JSON: {reason.TrimEnd('.', ' ')}.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"cannot read '{file}': {e.Message}");
        }
    }

    private static T? Inner<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }
        return null;
    }

    private static Config LoadHocon(string file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"cannot read '{file}': {e.Message}");
        }
        string? unbalanced = UnbalancedBrace(text);
        if (unbalanced is not null)
        {
            throw CliException.Usage($"{file} {unbalanced}");
        }
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e)
        {
            // The parser's message is several lines (the offending line and a caret) and counts characters, not lines.
            string first = e.Message.Split('\n', 2)[0].Trim().TrimEnd(':').Trim();
            var position = Regex.Match(first, @"(?:at )?position (\d+)");
            string where = "";
            if (position.Success && int.TryParse(position.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int offset))
            {
                var (line, column) = LineAndColumn(text, offset);
                where = $" line {line}, column {column}";
                first = first.Remove(position.Index, position.Length).Trim();
            }
            throw CliException.Usage($"{file}{where}: HOCON syntax error: {first.TrimEnd('.', ':', ' ')}.");
        }
    }

    /// <summary>
    /// Akka's HOCON parser accepts a file whose last object is never closed (it ends it at the end of the file), which
    /// turns a missing brace into a misleading "secret is required" later: check the braces first.
    /// </summary>
    private static string? UnbalancedBrace(string text)
    {
        var open = new Stack<int>();
        bool inString = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
                continue;
            }
            switch (c)
            {
                case '"' when i + 2 < text.Length && text[i + 1] == '"' && text[i + 2] == '"':
                    int end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    i = end < 0 ? text.Length : end + 2;
                    break;
                case '"':
                    inString = true;
                    break;
                case '#':
                case '/' when i + 1 < text.Length && text[i + 1] == '/':
                    int newline = text.IndexOf('\n', i);
                    i = newline < 0 ? text.Length : newline;
                    break;
                case '{':
                    open.Push(i);
                    break;
                case '}':
                    if (open.Count == 0)
                    {
                        var (l, col) = LineAndColumn(text, i);
                        return $"line {l}, column {col}: HOCON syntax error: '}}' closes no open '{{'.";
                    }
                    open.Pop();
                    break;
            }
        }
        if (open.Count > 0)
        {
            var (l, col) = LineAndColumn(text, open.Peek());
            string more = open.Count > 1 ? $" ({open.Count} are open)" : "";
            return $"line {l}, column {col}: HOCON syntax error: a '}}' is missing: the '{{' here is still open at the end of the file{more}.";
        }
        return null;
    }

    private static (int Line, int Column) LineAndColumn(string text, int offset)
    {
        offset = Math.Clamp(offset, 0, text.Length);
        int line = 1, lineStart = 0;
        for (int i = 0; i < offset; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return (line, offset - lineStart + 1);
    }

    /// <summary>A key under <c>ami</c> that the library does not know is a typo that would otherwise be ignored in silence.</summary>
    private static void CheckHoconKeys(string file, Config hocon)
    {
        if (!hocon.HasPath("ami"))
        {
            return;
        }
        var defaults = AmiRuntime.DefaultConfig;
        foreach (var parts in Leaves(hocon.GetValue("ami"), []))
        {
            string key = "ami." + string.Join('.', parts.Select(p => p.Contains('.', StringComparison.Ordinal) ? $"\"{p}\"" : p));
            bool known = parts[0] switch
            {
                "servers" => parts.Count == 1 || (parts.Count == 3 && ServerKeys.Contains(parts[2])),
                "listen" => (parts.Count == 2 && ListenKeys.Contains(parts[1]) && parts[1] != "cluster")
                    || (parts.Count == 3 && parts[1] == "cluster" && ListenCluster.Keys.ContainsKey(parts[2])),
                "cluster" when parts.Count == 3 && parts[1] == "secrets" => true,
                _ => defaults.HasPath(key),
            };
            if (!known)
            {
                string hint = parts[0] == "servers" && parts.Count != 3
                    ? "a server is ami.servers.<id> { host, port, username, secret, ... }"
                    : parts[0] == "servers" ? $"a server accepts {string.Join(", ", ServerKeys)}"
                    : parts[0] == "listen" && parts.Count > 1 && parts[1] == "cluster" ? $"ami.listen.cluster accepts {string.Join(", ", ListenCluster.Keys.Keys)}"
                    : parts[0] == "listen" ? $"ami.listen accepts {string.Join(", ", ListenKeys)}"
                    : "see hocon/reference.conf for every key";
                throw CliException.Usage($"{file}: unknown key {key} ({hint}).");
            }
        }
    }

    /// <summary>The key path of every value that is not an object (an empty object counts as a value).</summary>
    private static IEnumerable<List<string>> Leaves(HoconValue value, List<string> path)
    {
        if (value.IsObject() && value.GetObject().Items.Count > 0)
        {
            foreach (var (name, child) in value.GetObject().Items)
            {
                foreach (var leaf in Leaves(child, [.. path, name]))
                {
                    yield return leaf;
                }
            }
        }
        else if (path.Count > 0)
        {
            yield return path;
        }
    }

    private static string DescribeBindError(Origins origins, InvalidOperationException e)
    {
        var m = Regex.Match(e.Message, @"value '(?<value>.*)' at '(?<key>[^']*)' to type '(?<type>[^']*)'");
        if (!m.Success)
        {
            return $"configuration: {e.Message.TrimEnd('.')}.";
        }
        string key = m.Groups["key"].Value;
        string type = m.Groups["type"].Value;
        string expected = type switch
        {
            _ when type.Contains("TimeSpan", StringComparison.Ordinal) => "a duration as hh:mm:ss (for example \"00:00:30\")",
            _ when type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) => "a whole number",
            _ when type.Contains("Double", StringComparison.Ordinal) => "a number",
            _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
            _ when type.Contains("AmiAuthType", StringComparison.Ordinal) => "Plain or Md5",
            _ => $"a {type}",
        };
        bool secret = key.EndsWith("Secret", StringComparison.OrdinalIgnoreCase);
        string got = secret ? "" : $" (got '{m.Groups["value"].Value}')";
        return $"{origins.Of(key)}: {key} must be {expected}{got}.";
    }

    /// <summary>Where a key's value came from: the JSON file (named as the user gave it), or the environment variable.</summary>
    private sealed class Origins(IConfigurationRoot configuration, Dictionary<string, string> names)
    {
        public IConfigurationRoot Configuration => configuration;

        public string Of(string key)
        {
            foreach (var provider in configuration.Providers.Reverse())
            {
                if (provider.TryGet(key, out _) || provider.GetChildKeys([], key).Any())
                {
                    return Describe(provider, key);
                }
            }
            return "configuration";
        }

        public string OfMessage(string message)
        {
            // Messages from AmiOptions.Validate start with the key ("Ami:Servers:0: Port must be ...", "Ami:MaxInFlight must be ...").
            var m = Regex.Match(message, @"^(Ami(?::[A-Za-z0-9]+)*)");
            return m.Success ? Of(m.Groups[1].Value) : "configuration";
        }

        private string Describe(IConfigurationProvider provider, string key) => provider switch
        {
            JsonConfigurationProvider { Source: { Path: { } path, FileProvider: PhysicalFileProvider files } } =>
                names.TryGetValue(Path.Combine(files.Root, path), out var given) ? given : path,
            JsonConfigurationProvider json => json.Source.Path ?? "JSON configuration",
            EnvironmentVariablesConfigurationProvider => $"environment variable {key.Replace(":", "__", StringComparison.Ordinal)}",
            _ => "configuration",
        };
    }

    private static HashSet<string> ConfiguredIds(AmiOptions options, Config? hocon)
    {
        var ids = new HashSet<string>(options.Servers.Select(s => s.EffectiveId), StringComparer.Ordinal);
        if (HoconServers(hocon) is { } servers)
        {
            ids.UnionWith(servers.Items.Keys);
        }
        return ids;
    }

    private static HoconObject? HoconServers(Config? hocon) =>
        hocon is not null && hocon.HasPath("ami.servers") ? hocon.GetValue("ami.servers").GetObject() : null;

    /// <summary>Removes every server but <paramref name="keep"/> from the parsed file (its tree is ours: freshly parsed).</summary>
    private static void KeepServers(Config hocon, IReadOnlyList<string> keep)
    {
        var servers = HoconServers(hocon)!;
        foreach (var id in servers.Items.Keys.Where(id => !keep.Contains(id)).ToList())
        {
            servers.Items.Remove(id);
        }
    }
}
