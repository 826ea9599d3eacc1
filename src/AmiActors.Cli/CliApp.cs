using System.CommandLine;
using System.CommandLine.Parsing;
using AmiActors.Protocol;

namespace AmiActors.Cli;

/// <summary>What a command reads and writes; tests pass their own.</summary>
/// <param name="Stdout">Results.</param>
/// <param name="Stderr">Errors (one line each) and progress.</param>
/// <param name="OpenStdin">Opens standard input (for <c>ami decode -</c>).</param>
/// <param name="IsInteractive">True when stdout is a terminal: live redraw and progress; false prints plain lines.</param>
/// <param name="GetEnvironmentVariable">Reads the environment (AMI_SECRET).</param>
public sealed record CliConsole(TextWriter Stdout, TextWriter Stderr, Func<Stream> OpenStdin, bool IsInteractive, Func<string, string?> GetEnvironmentVariable)
{
    /// <summary>Plain output to the given writers, no terminal, no stdin, the process environment.</summary>
    public static CliConsole Plain(TextWriter stdout, TextWriter stderr) =>
        new(stdout, stderr, () => Stream.Null, false, Environment.GetEnvironmentVariable);
}

/// <summary>The <c>ami</c> command, callable in-process: parse, run, map failures to exit codes and one-line errors.</summary>
public static class CliApp
{
    /// <summary>Runs the command line with plain (non-terminal) output and returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken) =>
        RunAsync(args, CliConsole.Plain(stdout, stderr), cancellationToken);

    /// <summary>Runs the command line and returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        var root = CliCommands.Build(console);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                console.Stderr.WriteLine($"ami: {error.Message}");
            }
            console.Stderr.WriteLine("Run 'ami --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            var config = new InvocationConfiguration
            {
                Output = console.Stdout,
                Error = console.Stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            };
            return await parsed.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e, cancellationToken);
            if (message is not null)
            {
                console.Stderr.WriteLine($"ami: {OnePeriod(message)}");
            }
            return code;
        }
    }

    /// <summary>Asterisk's own texts often end in a period, and so do ours around them: end in one.</summary>
    internal static string OnePeriod(string message) => message.EndsWith("..", StringComparison.Ordinal) ? message.TrimEnd('.') + "." : message;

    /// <summary>The exit code and the one line to print for a failure (no stack trace, no secret).</summary>
    internal static (int Code, string? Message) Describe(Exception e, CancellationToken ct) => e switch
    {
        CliException c => (c.ExitCode, c.Message),
        OperationCanceledException when ct.IsCancellationRequested => (ExitCodes.Success, null),
        AmiActionValidationException v => (ExitCodes.Usage, v.Message),
        AmiErrorResponseException r => (ExitCodes.ServerError, r.Message),
        AmiAuthenticationException a => (ExitCodes.Connection, a.Message),
        UnknownServerException u => (ExitCodes.Usage, u.Message),
        AmiConfigurationException c => (ExitCodes.Usage, c.Message),
        AmiBackpressureException b => (ExitCodes.Failure, b.Message),
        AmiActionTimeoutException t => (ExitCodes.Timeout, t.Message),
        AmiException a => (ExitCodes.Connection, a.Message),
        ArgumentException a => (ExitCodes.Usage, a.Message),
        IOException or UnauthorizedAccessException => (ExitCodes.Failure, e.Message),
        AggregateException { InnerExceptions.Count: 1 } agg => Describe(agg.InnerExceptions[0], ct),
        _ => (ExitCodes.Failure, $"{e.GetType().Name}: {e.Message}"),
    };
}
