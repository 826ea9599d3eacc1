namespace AmiActors.Cli;

/// <summary>The exit codes of the <c>ami</c> command.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;
    /// <summary>Any other failure (unreadable input, a benchmark with failed actions).</summary>
    public const int Failure = 1;
    /// <summary>Bad command line: unknown option, bad URL, bad Key=Value, unknown server id.</summary>
    public const int Usage = 2;
    /// <summary>The connection or the login failed (or the server stopped answering).</summary>
    public const int Connection = 3;
    /// <summary>The server answered <c>Response: Error</c>.</summary>
    public const int ServerError = 4;
    /// <summary>Logged in, but the action got no complete reply within its timeout (<c>--timeout</c>).</summary>
    public const int Timeout = 5;
}

/// <summary>A failure reported as one line on stderr with a given exit code.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    public static CliException Connection(string message) => new(ExitCodes.Connection, message);
}
