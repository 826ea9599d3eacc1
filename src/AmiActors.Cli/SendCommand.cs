using AmiActors.Protocol;

namespace AmiActors.Cli;

/// <summary><c>ami send</c>.</summary>
internal static class SendCommand
{
    public static async Task<int> RunAsync(CliConsole console, ConnectionSpec connection, string actionName, IReadOnlyList<string> pairs, bool json, TimeSpan? timeout, CancellationToken ct)
    {
        var action = BuildAction(actionName, pairs);
        AmiWriter.Validate(action);
        await using var session = await ClientSession.OpenAsync(connection.Server, connection.ConnectTimeout, ct).ConfigureAwait(false);
        var result = await session.Client.SendRawAsync(ClientSession.ServerId, action, timeout, ct).ConfigureAwait(false);
        Print(console.Stdout, action, result, json);
        if (!result.IsSuccess)
        {
            console.Stderr.WriteLine($"ami: the server answered {action.Name} with an error: {ErrorText(result).TrimEnd('.', ' ')}.");
            return ExitCodes.ServerError;
        }
        return ExitCodes.Success;
    }

    /// <summary>Builds the action from <c>Key=Value</c> arguments (split at the first '=').</summary>
    internal static AmiAction BuildAction(string actionName, IReadOnlyList<string> pairs)
    {
        if (string.IsNullOrWhiteSpace(actionName) || actionName.Contains('='))
        {
            throw CliException.Usage($"'{actionName}' is not an action name (send ACTION [Key=Value ...]).");
        }
        var headers = new List<AmiHeader>(pairs.Count);
        foreach (var pair in pairs)
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                throw CliException.Usage($"'{pair}' is not Key=Value.");
            }
            string key = pair[..eq];
            if (key.Equals("Action", StringComparison.OrdinalIgnoreCase) || key.Equals("ActionID", StringComparison.OrdinalIgnoreCase))
            {
                throw CliException.Usage($"'{key}' is set by the client; give the action name as ACTION.");
            }
            headers.Add(new AmiHeader(key, pair[(eq + 1)..]));
        }
        return new AmiAction(actionName, headers);
    }

    private static void Print(TextWriter output, AmiAction action, AmiActionResult result, bool json)
    {
        bool isCommand = action.Name.Equals("Command", StringComparison.OrdinalIgnoreCase);
        if (isCommand && !json && result.IsSuccess)
        {
            foreach (var line in result.CommandOutput)
            {
                output.WriteLine(line);
            }
            return;
        }
        MessageOutput.Write(output, result.Response, json);
        foreach (var e in result.Events)
        {
            MessageOutput.Write(output, e, json);
        }
        if (result.Complete is { } complete)
        {
            MessageOutput.Write(output, complete, json);
        }
    }

    private static string ErrorText(AmiActionResult result) =>
        result.OriginateResponse?.Get("Reason") is { } reason
            ? $"OriginateResponse {result.OriginateResponse.Get("Response")}, Reason {reason}"
            : result.Message ?? "no message";
}
