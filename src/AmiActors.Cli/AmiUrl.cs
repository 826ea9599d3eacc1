using System.Globalization;

namespace AmiActors.Cli;

/// <summary>
/// A server address as given on the command line: <c>tcp://user:secret@host[:port]</c> (port 5038 by default) or
/// <c>tls://user:secret@host[:port]</c> (5039). User and secret may be percent-encoded; the secret may be left out and
/// taken from <c>AMI_SECRET</c>. <see cref="ToString"/> never prints the secret.
/// </summary>
internal sealed record AmiUrl(bool Tls, string Username, string? Secret, string Host, int Port)
{
    public const string SecretVariable = "AMI_SECRET";

    /// <summary>Parses <paramref name="text"/>; throws a usage <see cref="CliException"/> whose message never holds the secret.</summary>
    public static AmiUrl Parse(string text, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(text);
        int schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            throw Bad(text, "expected tcp://user:secret@host[:port] or tls://user:secret@host[:port]");
        }
        string scheme = text[..schemeEnd].ToLowerInvariant();
        bool tls = scheme switch
        {
            "tcp" => false,
            "tls" => true,
            _ => throw Bad(text, $"unknown scheme '{scheme}' (use tcp or tls)"),
        };
        string rest = text[(schemeEnd + 3)..];
        if (rest.EndsWith('/'))
        {
            rest = rest[..^1];
        }
        int at = rest.LastIndexOf('@');
        if (at < 0)
        {
            throw Bad(text, "the user name is missing (tcp://user:secret@host)");
        }
        string userInfo = rest[..at];
        string hostPort = rest[(at + 1)..];
        int colon = userInfo.IndexOf(':');
        string user = Unescape(colon < 0 ? userInfo : userInfo[..colon], text);
        string? secret = colon < 0 ? null : Unescape(userInfo[(colon + 1)..], text);
        if (user.Length == 0)
        {
            throw Bad(text, "the user name is empty");
        }
        if (string.IsNullOrEmpty(secret))
        {
            secret = environment(SecretVariable);
            if (string.IsNullOrEmpty(secret))
            {
                throw Bad(text, $"no secret: put it in the URL (user:secret@host) or in the {SecretVariable} environment variable");
            }
        }
        var (host, port) = SplitHostPort(hostPort, tls ? 5039 : 5038, text);
        return new AmiUrl(tls, user, secret, host, port);
    }

    private static (string Host, int Port) SplitHostPort(string hostPort, int defaultPort, string text)
    {
        string host;
        string? portText = null;
        if (hostPort.StartsWith('['))
        {
            int close = hostPort.IndexOf(']');
            if (close < 0)
            {
                throw Bad(text, "unclosed '[' in the IPv6 address");
            }
            host = hostPort[1..close];
            string after = hostPort[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    throw Bad(text, "unexpected text after the IPv6 address");
                }
                portText = after[1..];
            }
        }
        else
        {
            int colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
            portText = colon < 0 ? null : hostPort[(colon + 1)..];
        }
        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '?' or '#'))
        {
            throw Bad(text, "the host is missing or invalid");
        }
        int port = defaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw Bad(text, $"invalid port '{portText}'");
        }
        return (host, port);
    }

    private static string Unescape(string value, string text)
    {
        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            throw Bad(text, "invalid percent-encoding in the user or secret");
        }
    }

    private static CliException Bad(string text, string why) => CliException.Usage($"invalid URL '{Redact(text)}': {why}.");

    /// <summary>The URL with whatever sits between the user's ':' and the '@' replaced by ***.</summary>
    public static string Redact(string text)
    {
        int schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        int start = schemeEnd < 0 ? 0 : schemeEnd + 3;
        int at = text.LastIndexOf('@');
        if (at < start)
        {
            return text;
        }
        int colon = text.IndexOf(':', start, at - start);
        return colon < 0 ? text : text[..(colon + 1)] + "***" + text[at..];
    }

    /// <summary>The definition for the runtime.</summary>
    public AmiServerDefinition ToDefinition(string id, bool md5, bool insecure, string? eventMask) =>
        new(id, Host, Port, Username, Secret!)
        {
            UseTls = Tls,
            AuthType = md5 ? AmiAuthType.Md5 : AmiAuthType.Plain,
            AcceptInvalidCertificate = insecure,
            EventMask = eventMask,
        };

    public override string ToString() => $"{(Tls ? "tls" : "tcp")}://{Username}@{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}";
}
