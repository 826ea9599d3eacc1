using AmiActors.Protocol;

namespace AmiActors.Cli;

/// <summary><c>ami decode</c>: raw AMI bytes to messages, protocol only (no connection, no actor system).</summary>
internal static class DecodeCommand
{
    public static async Task<int> RunAsync(CliConsole console, string? file, bool json, CancellationToken ct)
    {
        Stream input;
        if (file is null or "-")
        {
            input = console.OpenStdin();
        }
        else
        {
            try
            {
                input = File.OpenRead(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw CliException.Usage($"cannot read '{file}': {e.Message}");
            }
        }
        int errors = 0;
        await using (input.ConfigureAwait(false))
        {
            await foreach (var message in AmiStreamDecoder.DecodeAsync(input, onError: e =>
                           {
                               errors++;
                               console.Stderr.WriteLine($"ami: protocol error: {e}");
                           }, cancellationToken: ct).ConfigureAwait(false))
            {
                MessageOutput.Write(console.Stdout, message, json);
            }
        }
        await console.Stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return errors == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }
}
