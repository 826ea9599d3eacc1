namespace AmiActors.Cli.Tests;

internal static class Shared
{
    internal static string Fixture(string name) => Path.Combine(FindShared(), "fixtures", "asterisk-22", name);

    internal static string FindShared()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared");
            if (File.Exists(Path.Combine(dir.FullName, "AmiActors.sln")) && Directory.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
            dir = dir.Parent;
        }
        throw new DirectoryNotFoundException("../shared next to the repository root was not found");
    }
}

/// <summary>Runs the CLI in-process and captures its output.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public static async Task<CliRun> RunAsync(params string[] args) => await RunAsync(args, null, null);

    public static async Task<CliRun> RunAsync(string[] args, Dictionary<string, string>? environment, byte[]? stdin, TimeSpan? timeout = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var console = new CliConsole(TextWriter.Synchronized(stdout), TextWriter.Synchronized(stderr),
            () => new MemoryStream(stdin ?? []), false, name => environment is not null && environment.TryGetValue(name, out var v) ? v : null);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        int code = await CliApp.RunAsync(args, console, cts.Token);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }
}
