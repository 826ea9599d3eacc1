using System.Globalization;
using AmiActors.Protocol;

namespace AmiActors.TestKit.Internal;

/// <summary>
/// The actions the fake server answers by itself, written the way Asterisk 22's manager.c writes them
/// (header order, messages, ActionID placement), as captured in the fixtures.
/// </summary>
internal static class BuiltInActions
{
    private static readonly Dictionary<string, FakeAmiPermissions> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Login"] = FakeAmiPermissions.None,
        ["Logoff"] = FakeAmiPermissions.None,
        ["Challenge"] = FakeAmiPermissions.None,
        ["Ping"] = FakeAmiPermissions.None,
        ["Events"] = FakeAmiPermissions.None,
        ["UserEvent"] = FakeAmiPermissions.User,
        ["Command"] = FakeAmiPermissions.Command,
        ["CoreShowChannels"] = FakeAmiPermissions.System | FakeAmiPermissions.Reporting,
        ["Status"] = FakeAmiPermissions.System | FakeAmiPermissions.Call | FakeAmiPermissions.Reporting,
        ["Originate"] = FakeAmiPermissions.Originate,
        ["Hangup"] = FakeAmiPermissions.System | FakeAmiPermissions.Call,
        ["Filter"] = FakeAmiPermissions.System,
        ["Getvar"] = FakeAmiPermissions.Call | FakeAmiPermissions.Reporting,
        ["Setvar"] = FakeAmiPermissions.Call,
    };

    // Asterisk's command_blacklist.
    private static readonly string[][] Blacklist = [["module", "load"], ["module", "reload"], ["module", "unload"], ["restart", "gracefully"]];

    public static bool IsKnown(string action) => Known.ContainsKey(action);

    public static FakeAmiPermissions? RequiredPermission(string action) => Known.TryGetValue(action, out var p) ? p : null;

    public static string UnknownActionMessage(string action) => $"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands.";

    private static readonly Dictionary<string, Func<FakeActionContext, Task>> Handlers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Login"] = LoginAsync,
        ["Logoff"] = LogoffAsync,
        ["Challenge"] = ChallengeAsync,
        ["Ping"] = PingAsync,
        ["Events"] = EventsAsync,
        ["UserEvent"] = UserEventAsync,
        ["Command"] = CommandAsync,
        ["CoreShowChannels"] = CoreShowChannelsAsync,
        ["Status"] = StatusAsync,
        ["Originate"] = OriginateAsync,
        ["Hangup"] = HangupAsync,
        ["Filter"] = FilterAsync,
        ["Getvar"] = GetvarAsync,
        ["Setvar"] = SetvarAsync,
    };

    /// <summary>Runs the built-in action; false when there is none of that name.</summary>
    public static async ValueTask<bool> TryRunAsync(FakeActionContext c)
    {
        if (!Handlers.TryGetValue(c.ActionName, out var handler))
        {
            return false;
        }
        await handler(c).ConfigureAwait(false);
        return true;
    }

    private static ValueTask SendAsync(FakeActionContext c, byte[] frame) => c.SendRawAsync(frame);

    private static ValueTask RespondAsync(FakeActionContext c, string status, string? message) => SendAsync(c, FrameBuilder.Response(status, c.ActionId, message));

    private static async Task LoginAsync(FakeActionContext c)
    {
        var session = c.Session;
        var server = c.Server;
        if (session.IsAuthenticated)
        {
            await RespondAsync(c, "Success", "Already authenticated").ConfigureAwait(false);
            return;
        }
        string username = c.Header("Username") ?? "";
        var user = server.Options.Users.FirstOrDefault(u => string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase));
        bool ok = false;
        if (user is not null)
        {
            if (string.Equals(c.Header("AuthType"), "MD5", StringComparison.OrdinalIgnoreCase))
            {
                string key = c.Header("Key") ?? "";
                ok = key.Length > 0 && !string.IsNullOrEmpty(session.Challenge)
                    && string.Equals(key, AmiAuth.ComputeMd5Key(session.Challenge, user.Secret), StringComparison.Ordinal);
            }
            else
            {
                ok = string.Equals(c.Header("Secret") ?? "", user.Secret, StringComparison.Ordinal);
            }
        }
        if (!ok || user is null)
        {
            if (server.Options.FailedLoginDelay > TimeSpan.Zero)
            {
                await Task.Delay(server.Options.FailedLoginDelay, c.CancellationToken).ConfigureAwait(false);
            }
            await RespondAsync(c, "Error", "Authentication failed").ConfigureAwait(false);
            c.CloseAfterReply();
            return;
        }
        if (FakeAmiPermissionsText.ParseEventMask(c.Header("Events")) is { } mask)
        {
            session.SetEventMask(mask);
        }
        session.MarkAuthenticated(user);
        var accepted = FrameBuilder.Response("Success", c.ActionId, "Authentication accepted");
        var trailer = server.Faults.BytesWithLoginResponse;
        // With a trailer the response and the events leave in one write, so the client reads them together.
        await SendAsync(c, trailer.IsEmpty ? accepted : [.. accepted, .. trailer.Span]).ConfigureAwait(false);
        if (server.Options.SendFullyBooted && (session.EventMask & FakeAmiPermissions.System) != 0 && (session.ReadPermissions & FakeAmiPermissions.System) != 0)
        {
            string uptime = server.UptimeSeconds.ToString(CultureInfo.InvariantCulture);
            await SendAsync(c, new FrameBuilder().Add("Event", "FullyBooted").Add("Privilege", "system,all").Add("Uptime", uptime)
                .Add("LastReload", uptime).Add("Status", "Fully Booted").End()).ConfigureAwait(false);
        }
        if (server.Options.SendSuccessfulAuth)
        {
            string now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);
            var evt = new FrameBuilder().Add("Event", "SuccessfulAuth").Add("Privilege", "security,all").Add("EventTV", now)
                .Add("Severity", "Informational").Add("Service", "AMI").Add("EventVersion", "1").Add("AccountID", user.Username)
                .Add("SessionID", session.SessionIdText).Add("LocalAddress", Address(session.LocalEndPoint)).Add("RemoteAddress", Address(session.RemoteEndPoint))
                .Add("UsingPassword", "0").Add("SessionTV", now).End();
            await server.BroadcastAsync(evt, FakeAmiPermissions.Security, c.CancellationToken).ConfigureAwait(false);
        }
    }

    private static string Address(System.Net.IPEndPoint ep) =>
        $"{(ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPV6" : "IPV4")}/TCP/{ep.Address}/{ep.Port}";

    private static async Task LogoffAsync(FakeActionContext c)
    {
        await RespondAsync(c, "Goodbye", "Thanks for all the fish.").ConfigureAwait(false);
        c.CloseAfterReply();
    }

    private static async Task ChallengeAsync(FakeActionContext c)
    {
        if (!string.Equals(c.Header("AuthType"), "MD5", StringComparison.OrdinalIgnoreCase))
        {
            await RespondAsync(c, "Error", "Must specify AuthType").ConfigureAwait(false);
            return;
        }
        c.Session.Challenge ??= Random.Shared.Next(1, int.MaxValue).ToString(CultureInfo.InvariantCulture);
        await SendAsync(c, new FrameBuilder().Add("Response", "Success").AddIfNotEmpty("ActionID", c.ActionId).Add("Challenge", c.Session.Challenge).End()).ConfigureAwait(false);
    }

    private static async Task PingAsync(FakeActionContext c)
    {
        await SendAsync(c, new FrameBuilder().Add("Response", "Success").AddIfNotEmpty("ActionID", c.ActionId)
            .Add("Ping", "Pong").Add("Timestamp", Timestamp(DateTimeOffset.UtcNow)).End()).ConfigureAwait(false);
    }

    internal static string Timestamp(DateTimeOffset t)
    {
        long micros = (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        return $"{micros / 1_000_000}.{micros % 1_000_000:D6}";
    }

    private static async Task EventsAsync(FakeActionContext c)
    {
        var mask = FakeAmiPermissionsText.ParseEventMask(c.Header("EventMask"));
        if (mask is null)
        {
            await RespondAsync(c, "Error", "Invalid event mask").ConfigureAwait(false);
            return;
        }
        c.Session.SetEventMask(mask.Value);
        await SendAsync(c, new FrameBuilder().Add("Response", "Success").AddIfNotEmpty("ActionID", c.ActionId)
            .Add("Events", mask.Value == FakeAmiPermissions.None ? "Off" : "On").End()).ConfigureAwait(false);
    }

    private static async Task UserEventAsync(FakeActionContext c)
    {
        var evt = new FrameBuilder().Add("Event", "UserEvent").Add("Privilege", "user,all").Add("UserEvent", c.Header("UserEvent") ?? "");
        var action = c.Action;
        for (int i = 0; i < action.Count; i++)
        {
            string name = action.NameAt(i);
            if (name.Equals("UserEvent", StringComparison.OrdinalIgnoreCase) || name.Equals("Action", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (name.Length == 0)
            {
                evt.AddLine(action.ValueBytes(i)); // a line without a colon is copied as it came
            }
            else
            {
                evt.Add(name, action.ValueAt(i));
            }
        }
        await RespondAsync(c, "Success", "Event Sent").ConfigureAwait(false);
        await c.Server.BroadcastAsync(evt.End(), FakeAmiPermissions.User, c.CancellationToken).ConfigureAwait(false);
    }

    private static async Task CommandAsync(FakeActionContext c)
    {
        string command = c.Header("Command") ?? "";
        if (command.Length == 0)
        {
            await RespondAsync(c, "Error", "No command provided").ConfigureAwait(false);
            return;
        }
        string[] words = command.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (Blacklist.Any(b => words.Length >= b.Length && b.Select((w, i) => string.Equals(w, words[i], StringComparison.OrdinalIgnoreCase)).All(x => x)))
        {
            await RespondAsync(c, "Error", "Command blacklisted").ConfigureAwait(false);
            return;
        }
        var (success, lines) = RunCli(c.Server, command, words);
        if (c.Server.Options.LegacyCommandFraming)
        {
            var legacy = new FrameBuilder().Add("Response", "Follows").Add("Privilege", "Command").AddIfNotEmpty("ActionID", c.ActionId);
            foreach (var line in lines)
            {
                legacy.Raw(line).Raw("\n");
            }
            await SendAsync(c, legacy.Raw("--END COMMAND--\r\n").End()).ConfigureAwait(false);
            return;
        }
        var frame = new FrameBuilder().Add("Response", success ? "Success" : "Error").AddIfNotEmpty("ActionID", c.ActionId).Add("Message", "Command output follows");
        foreach (var line in lines)
        {
            frame.Add("Output", line);
        }
        await SendAsync(c, frame.End()).ConfigureAwait(false);
    }

    private static (bool Success, IReadOnlyList<string> Lines) RunCli(FakeAsteriskServer server, string command, string[] words)
    {
        string normalized = string.Join(' ', words);
        foreach (var (key, output) in server.Options.Commands)
        {
            if (string.Equals(string.Join(' ', key.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)), normalized, StringComparison.OrdinalIgnoreCase))
            {
                return (true, SplitOutput(output));
            }
        }
        long uptime = server.UptimeSeconds;
        switch (normalized.ToLowerInvariant())
        {
            case "core show version":
                return (true, [$"Asterisk {server.Options.AsteriskVersion} built by amiactors @ fake-asterisk on a x86_64 running Linux on {server.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"]);
            case "core show uptime":
                return (true, [$"System uptime: {FormatUptime(uptime)}", $"Last reload: {FormatUptime(uptime)}"]);
            case "core show uptime seconds":
                return (true, [$"System uptime: {uptime}", $"Last reload: {uptime}"]);
            case "core show channels count":
                int channels = server.Channels.Count;
                return (true, [$"{channels} active channel{Plural(channels)}", $"{channels / 2} active call{Plural(channels / 2)}", $"{server.CallsProcessed} call{Plural(server.CallsProcessed)} processed"]);
        }
        string hint = words.Length > 1 ? string.Join(' ', words[..^1]) : words[0];
        return (false, [$"No such command '{command}' (type 'core show help {hint}' for other possible commands)"]);
    }

    private static IReadOnlyList<string> SplitOutput(string output)
    {
        if (output.Length == 0)
        {
            return [];
        }
        var lines = output.Replace("\r\n", "\n").Split('\n');
        return output.EndsWith('\n') ? lines[..^1] : lines;
    }

    private static string Plural(long n) => n == 1 ? "" : "s";

    // Asterisk's print_uptimestr: "1 hour, 2 minutes, 3 seconds".
    private static string FormatUptime(long seconds)
    {
        var parts = new List<string>();
        void Part(long value, string unit)
        {
            if (value > 0)
            {
                parts.Add($"{value} {unit}{Plural(value)}");
            }
        }
        Part(seconds / 86400, "day");
        Part(seconds % 86400 / 3600, "hour");
        Part(seconds % 3600 / 60, "minute");
        if (seconds % 60 > 0 || parts.Count == 0)
        {
            parts.Add($"{seconds % 60} second{Plural(seconds % 60)}");
        }
        return string.Join(", ", parts);
    }

    internal static FrameBuilder AddChannelState(FrameBuilder b, FakeChannel ch) => b
        .Add("Channel", ch.Name).Add("ChannelState", ch.State.ToString(CultureInfo.InvariantCulture)).Add("ChannelStateDesc", ch.StateDesc)
        .Add("CallerIDNum", ch.CallerIdNum).Add("CallerIDName", ch.CallerIdName).Add("ConnectedLineNum", ch.ConnectedLineNum)
        .Add("ConnectedLineName", ch.ConnectedLineName).Add("Language", ch.Language).Add("AccountCode", ch.AccountCode)
        .Add("Context", ch.Context).Add("Exten", ch.Exten).Add("Priority", ch.Priority.ToString(CultureInfo.InvariantCulture))
        .Add("Uniqueid", ch.Uniqueid).Add("Linkedid", ch.Linkedid);

    private static string Duration(FakeChannel ch)
    {
        var d = DateTimeOffset.UtcNow - ch.CreatedAt;
        if (d < TimeSpan.Zero)
        {
            d = TimeSpan.Zero;
        }
        return $"{(int)d.TotalHours:D2}:{d.Minutes:D2}:{d.Seconds:D2}";
    }

    private static async Task CoreShowChannelsAsync(FakeActionContext c)
    {
        await SendAsync(c, new FrameBuilder().Add("Response", "Success").AddIfNotEmpty("ActionID", c.ActionId).Add("EventList", "start").Add("Message", "Channels will follow").End()).ConfigureAwait(false);
        var channels = c.Server.Channels;
        foreach (var ch in channels)
        {
            var b = new FrameBuilder().Add("Event", "CoreShowChannel").AddIfNotEmpty("ActionID", c.ActionId);
            AddChannelState(b, ch).Add("Application", ch.Application).Add("ApplicationData", ch.ApplicationData).Add("Duration", Duration(ch)).Add("BridgeId", ch.BridgeId);
            await SendAsync(c, b.End()).ConfigureAwait(false);
        }
        await SendAsync(c, new FrameBuilder().Add("Event", "CoreShowChannelsComplete").AddIfNotEmpty("ActionID", c.ActionId).Add("EventList", "Complete")
            .Add("ListItems", channels.Count.ToString(CultureInfo.InvariantCulture)).End()).ConfigureAwait(false);
    }

    private static async Task StatusAsync(FakeActionContext c)
    {
        string name = c.Header("Channel") ?? "";
        var channels = c.Server.Channels;
        if (name.Length > 0)
        {
            channels = channels.Where(ch => string.Equals(ch.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (channels.Count == 0)
            {
                await RespondAsync(c, "Error", "No such channel").ConfigureAwait(false);
                return;
            }
        }
        await SendAsync(c, new FrameBuilder().Add("Response", "Success").AddIfNotEmpty("ActionID", c.ActionId).Add("EventList", "start").Add("Message", "Channel status will follow").End()).ConfigureAwait(false);
        foreach (var ch in channels)
        {
            var b = new FrameBuilder().Add("Event", "Status").Add("Privilege", "Call");
            long seconds = (long)Math.Max(0, (DateTimeOffset.UtcNow - ch.CreatedAt).TotalSeconds);
            int slash = ch.Name.IndexOf('/');
            AddChannelState(b, ch).Add("Type", slash > 0 ? ch.Name[..slash] : ch.Name).Add("DNID", "").Add("EffectiveConnectedLineNum", ch.ConnectedLineNum)
                .Add("EffectiveConnectedLineName", ch.ConnectedLineName).Add("TimeToHangup", "0").Add("BridgeID", ch.BridgeId).Add("Application", ch.Application)
                .Add("Data", ch.ApplicationData).Add("Nativeformats", "(ulaw)").Add("Readformat", "ulaw").Add("Readtrans", "").Add("Writeformat", "ulaw")
                .Add("Writetrans", "").Add("Callgroup", "0").Add("Pickupgroup", "0").Add("Seconds", seconds.ToString(CultureInfo.InvariantCulture))
                .AddIfNotEmpty("ActionID", c.ActionId);
            await SendAsync(c, b.End()).ConfigureAwait(false);
        }
        string count = channels.Count.ToString(CultureInfo.InvariantCulture);
        await SendAsync(c, new FrameBuilder().Add("Event", "StatusComplete").AddIfNotEmpty("ActionID", c.ActionId).Add("EventList", "Complete")
            .Add("ListItems", count).Add("Items", count).End()).ConfigureAwait(false);
    }

    private static async Task OriginateAsync(FakeActionContext c)
    {
        var server = c.Server;
        string channel = c.Header("Channel") ?? "";
        if (channel.Length == 0)
        {
            await RespondAsync(c, "Error", "Channel not specified").ConfigureAwait(false);
            return;
        }
        if (!channel.Contains('/'))
        {
            await RespondAsync(c, "Error", "Invalid channel").ConfigureAwait(false);
            return;
        }
        string priority = c.Header("Priority") ?? "";
        if (priority.Length > 0 && !int.TryParse(priority, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            await RespondAsync(c, "Error", "Invalid priority").ConfigureAwait(false);
            return;
        }
        string timeout = c.Header("Timeout") ?? "";
        if (timeout.Length > 0 && (!int.TryParse(timeout, NumberStyles.Integer, CultureInfo.InvariantCulture, out int to) || to < 0))
        {
            await RespondAsync(c, "Error", "Invalid timeout").ConfigureAwait(false);
            return;
        }
        var outcome = server.Options.OriginateOutcomeSelector?.Invoke(c.Action) ?? server.Options.OriginateOutcome;
        var request = new OriginateRequest(c.ActionId, channel, c.Header("Application") ?? "", c.Header("Data") ?? "", c.Header("Context") ?? "",
            c.Header("Exten") ?? "", priority, c.Header("CallerID") ?? "", outcome);
        if (FakeAmiPermissionsText.IsTrue(c.Header("Async")))
        {
            await RespondAsync(c, "Success", "Originate successfully queued").ConfigureAwait(false);
            server.RunInBackground(async token =>
            {
                if (server.Options.OriginateDelay > TimeSpan.Zero)
                {
                    await Task.Delay(server.Options.OriginateDelay, token).ConfigureAwait(false);
                }
                await CompleteOriginateAsync(server, request, token).ConfigureAwait(false);
            });
            return;
        }
        if (server.Options.OriginateDelay > TimeSpan.Zero)
        {
            await Task.Delay(server.Options.OriginateDelay, c.CancellationToken).ConfigureAwait(false);
        }
        if (outcome == FakeOriginateOutcome.Answered)
        {
            CreateOriginatedChannel(server, request);
            await RespondAsync(c, "Success", "Originate successfully queued").ConfigureAwait(false);
        }
        else
        {
            await RespondAsync(c, "Error", "Originate failed").ConfigureAwait(false);
        }
    }

    private sealed record OriginateRequest(string? ActionId, string Channel, string Application, string Data, string Context, string Exten, string Priority, string CallerId, FakeOriginateOutcome Outcome);

    private static (string Name, string Num) ParseCallerId(string callerId)
    {
        if (callerId.Length == 0)
        {
            return ("<unknown>", "<unknown>");
        }
        int lt = callerId.IndexOf('<');
        int gt = callerId.LastIndexOf('>');
        if (lt >= 0 && gt > lt)
        {
            string name = callerId[..lt].Trim().Trim('"');
            string num = callerId[(lt + 1)..gt].Trim();
            return (name.Length == 0 ? "<unknown>" : name, num.Length == 0 ? "<unknown>" : num);
        }
        return callerId.All(ch => char.IsAsciiDigit(ch) || ch == '+') ? ("<unknown>", callerId) : (callerId, "<unknown>");
    }

    private static FakeChannel? CreateOriginatedChannel(FakeAsteriskServer server, OriginateRequest r)
    {
        var (cidName, cidNum) = ParseCallerId(r.CallerId);
        string name = server.NewChannelName(r.Channel);
        var channel = new FakeChannel(name)
        {
            CallerIdName = cidName,
            CallerIdNum = cidNum,
            Context = r.Context.Length > 0 ? r.Context : "default",
            Exten = r.Exten.Length > 0 ? r.Exten : "s",
            Priority = int.TryParse(r.Priority, NumberStyles.Integer, CultureInfo.InvariantCulture, out int p) ? p : 1,
            Application = r.Application,
            ApplicationData = r.Data,
            Uniqueid = server.NextUniqueId(),
        };
        return server.Options.OriginateCreatesChannels ? server.AddChannel(channel) : channel;
    }

    private static async Task CompleteOriginateAsync(FakeAsteriskServer server, OriginateRequest r, CancellationToken token)
    {
        bool answered = r.Outcome == FakeOriginateOutcome.Answered;
        var created = answered ? CreateOriginatedChannel(server, r) : null;
        var (cidName, cidNum) = ParseCallerId(r.CallerId);
        var b = new FrameBuilder().Add("Event", "OriginateResponse").Add("Privilege", "call,all").AddIfNotEmpty("ActionID", r.ActionId)
            .Add("Response", answered ? "Success" : "Failure").Add("Channel", created?.Name ?? r.Channel);
        if (r.Application.Length > 0)
        {
            b.Add("Application", r.Application).Add("Data", r.Data);
        }
        else
        {
            b.Add("Context", r.Context).Add("Exten", r.Exten);
        }
        b.Add("Reason", ((int)r.Outcome).ToString(CultureInfo.InvariantCulture)).Add("Uniqueid", created?.Uniqueid ?? "<unknown>")
            .Add("CallerIDNum", cidNum).Add("CallerIDName", cidName);
        await server.BroadcastAsync(b.End(), FakeAmiPermissions.Call, token).ConfigureAwait(false);
    }

    private static async Task HangupAsync(FakeActionContext c)
    {
        string name = c.Header("Channel") ?? "";
        if (name.Length == 0)
        {
            await RespondAsync(c, "Error", "No channel specified").ConfigureAwait(false);
            return;
        }
        var channel = c.Server.Channels.FirstOrDefault(ch => string.Equals(ch.Name, name, StringComparison.OrdinalIgnoreCase));
        if (channel is null || !c.Server.RemoveChannel(channel.Name))
        {
            await RespondAsync(c, "Error", "No such channel").ConfigureAwait(false);
            return;
        }
        await RespondAsync(c, "Success", "Channel Hungup").ConfigureAwait(false);
        var evt = AddChannelState(new FrameBuilder().Add("Event", "Hangup").Add("Privilege", "call,all"), channel).Add("Cause", "16").Add("Cause-txt", "Normal Clearing").End();
        await c.Server.BroadcastAsync(evt, FakeAmiPermissions.Call, c.CancellationToken).ConfigureAwait(false);
    }

    private static async Task FilterAsync(FakeActionContext c)
    {
        if (!string.Equals(c.Header("Operation"), "Add", StringComparison.OrdinalIgnoreCase))
        {
            await RespondAsync(c, "Error", "Unknown operation").ConfigureAwait(false);
            return;
        }
        if (!c.Session.AddFilter(c.Header("Filter") ?? ""))
        {
            await RespondAsync(c, "Error", "Filter did not compile.  Check the syntax of the filter given.").ConfigureAwait(false);
            return;
        }
        await RespondAsync(c, "Success", "Filter Added Successfully").ConfigureAwait(false);
    }

    // Global and per-channel variables: Setvar stores, Getvar reads (empty when unset), as a dialplan would.
    private static async Task GetvarAsync(FakeActionContext c)
    {
        if (await ReadVariableTargetAsync(c).ConfigureAwait(false) is not var (channel, variable))
        {
            return;
        }
        await SendAsync(c, new FrameBuilder().Add("Response", "Success").AddIfNotEmpty("ActionID", c.ActionId).Add("Variable", variable)
            .Add("Value", c.Server.GetVariable(channel, variable) ?? "").End()).ConfigureAwait(false);
    }

    private static async Task SetvarAsync(FakeActionContext c)
    {
        if (await ReadVariableTargetAsync(c).ConfigureAwait(false) is not var (channel, variable))
        {
            return;
        }
        c.Server.SetVariable(channel, variable, c.Header("Value") ?? "");
        await RespondAsync(c, "Success", "Variable Set").ConfigureAwait(false);
    }

    // The Channel (empty: global) and Variable headers of Getvar/Setvar; answers the error and returns null when invalid.
    private static async Task<(string Channel, string Variable)?> ReadVariableTargetAsync(FakeActionContext c)
    {
        string variable = c.Header("Variable") ?? "";
        if (variable.Length == 0)
        {
            await RespondAsync(c, "Error", "No variable specified").ConfigureAwait(false);
            return null;
        }
        string channel = c.Header("Channel") ?? "";
        if (channel.Length > 0 && !c.Server.Channels.Any(ch => string.Equals(ch.Name, channel, StringComparison.OrdinalIgnoreCase)))
        {
            await RespondAsync(c, "Error", "No such channel").ConfigureAwait(false);
            return null;
        }
        return (channel, variable);
    }
}
