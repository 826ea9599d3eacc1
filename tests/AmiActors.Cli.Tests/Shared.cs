namespace AmiActors.Cli.Tests;

internal static class Shared
{
    internal static string Fixture(string name) => AmiActors.Testing.CapturedFixtures.Fixture(name);

}

/// <summary>
/// The commands that log through Akka.Logger.Serilog (listen, demo) set Serilog's process-wide logger: their tests share this
/// collection so that they do not run at the same time and no command's log lines land in another's output.
/// </summary>
internal static class SerilogGlobalLogger
{
    public const string Name = "Serilog's global logger";
}

/// <summary>Runs the CLI in-process and captures its output.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public static async Task<CliRun> RunAsync(params string[] args) => await RunAsync(args, null, null);

    public static async Task<CliRun> RunAsync(string[] args, Dictionary<string, string>? environment, byte[]? stdin, TimeSpan? timeout = null,
        ConcurrentWriter? liveStdout = null, CancellationToken cancellationToken = default)
    {
        var stdout = liveStdout ?? new ConcurrentWriter();
        var stderr = new ConcurrentWriter();
        var console = new CliConsole(stdout, stderr,
            () => new MemoryStream(stdin ?? []), false, name => environment is not null && environment.TryGetValue(name, out var v) ? v : null);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        int code = await CliApp.RunAsync(args, console, cts.Token);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>A StringWriter safe to read while another thread writes.</summary>
internal sealed class ConcurrentWriter : StringWriter
{
    private readonly object _gate = new();

    public override void Write(char value)
    {
        lock (_gate)
        {
            base.Write(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_gate)
        {
            base.Write(buffer, index, count);
        }
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        lock (_gate)
        {
            base.Write(buffer);
        }
    }

    public override void Write(string? value)
    {
        lock (_gate)
        {
            base.Write(value);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_gate)
        {
            base.WriteLine(value);
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return base.ToString();
        }
    }
}
