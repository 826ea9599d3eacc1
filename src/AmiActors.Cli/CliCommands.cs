using System.CommandLine;

namespace AmiActors.Cli;

/// <summary>The command tree.</summary>
internal static class CliCommands
{
    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand("ami: the AmiActors command for the Asterisk Manager Interface (AMI).");
        root.Subcommands.Add(Demo(console));
        root.Subcommands.Add(Listen(console));
        root.Subcommands.Add(Send(console));
        root.Subcommands.Add(Tail(console));
        root.Subcommands.Add(Decode(console));
        root.Subcommands.Add(Bench(console));
        return root;
    }

    /// <summary>The options every command that connects to one server shares.</summary>
    private sealed class ConnectionOptions
    {
        public Option<string> Url { get; } = new("--url")
        {
            Description = "tcp://user:secret@host[:port] (port 5038) or tls://user:secret@host[:port] (5039); the secret may come from AMI_SECRET instead.",
            Required = true,
        };

        public Option<bool> Md5 { get; } = new("--md5") { Description = "Log in with the MD5 challenge (the secret never crosses the wire)." };

        public Option<bool> Insecure { get; } = new("--insecure") { Description = "Accept a TLS certificate that does not validate (self-signed)." };

        public Option<string?> EventMask { get; } = new("--event-mask") { Description = "The Login Events: mask (on, off, or classes such as call,agent)." };

        public Option<double> ConnectTimeout { get; } = new("--connect-timeout")
        {
            Description = "Seconds allowed for connecting and logging in.",
            DefaultValueFactory = _ => 15,
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Url);
            command.Options.Add(Md5);
            command.Options.Add(Insecure);
            command.Options.Add(EventMask);
            command.Options.Add(ConnectTimeout);
        }

        public ConnectionSpec Read(ParseResult p, CliConsole console)
        {
            var url = AmiUrl.Parse(p.GetValue(Url)!, console.GetEnvironmentVariable);
            double seconds = p.GetValue(ConnectTimeout);
            if (seconds <= 0)
            {
                throw CliException.Usage("--connect-timeout must be greater than 0.");
            }
            var definition = url.ToDefinition(ClientSession.ServerId, p.GetValue(Md5), p.GetValue(Insecure), p.GetValue(EventMask));
            return new ConnectionSpec(definition, TimeSpan.FromSeconds(seconds));
        }
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object per message and line." };

    private static Command Send(CliConsole console)
    {
        var connection = new ConnectionOptions();
        var action = new Argument<string>("ACTION") { Description = "The action name (Ping, CoreShowChannels, Command, Originate, ...)." };
        var pairs = new Argument<string[]>("Key=Value") { Description = "Action headers; repeat a key to send it several times.", Arity = ArgumentArity.ZeroOrMore };
        var json = JsonOption();
        var timeout = new Option<double?>("--timeout") { Description = "Seconds to wait for the whole reply (default: ami.actions.default-timeout)." };
        var command = new Command("send", "Send one action; print the response, every list item event and the Complete event, or a Command's output lines.");
        connection.AddTo(command);
        command.Arguments.Add(action);
        command.Arguments.Add(pairs);
        command.Options.Add(json);
        command.Options.Add(timeout);
        command.SetAction((p, ct) => SendCommand.RunAsync(console, connection.Read(p, console), p.GetValue(action)!, p.GetValue(pairs) ?? [],
            p.GetValue(json), Seconds(p.GetValue(timeout), "--timeout"), ct));
        return command;
    }

    private static Command Tail(CliConsole console)
    {
        var connection = new ConnectionOptions();
        var events = new Option<string[]>("--event") { Description = "Only events with this name (repeat, or separate with commas).", AllowMultipleArgumentsPerToken = false };
        var count = new Option<long?>("--count") { Description = "Exit after this many events." };
        var json = JsonOption();
        var command = new Command("tail", "Print live events until Ctrl+C (or --count events).");
        connection.AddTo(command);
        command.Options.Add(events);
        command.Options.Add(count);
        command.Options.Add(json);
        command.SetAction((p, ct) => TailCommand.RunAsync(console, connection.Read(p, console), SplitNames(p.GetValue(events)),
            Positive(p.GetValue(count), "--count"), p.GetValue(json), ct));
        return command;
    }

    private static Command Decode(CliConsole console)
    {
        var file = new Argument<string?>("FILE") { Description = "A capture of raw AMI bytes; '-' or nothing reads standard input.", Arity = ArgumentArity.ZeroOrOne };
        var json = JsonOption();
        var command = new Command("decode", "Decode raw AMI bytes (a capture) into messages.");
        command.Arguments.Add(file);
        command.Options.Add(json);
        command.SetAction((p, ct) => DecodeCommand.RunAsync(console, p.GetValue(file), p.GetValue(json), ct));
        return command;
    }

    private static Command Bench(CliConsole console)
    {
        var bench = new Command("bench", "Measure throughput against a server.");

        var eventsConnection = new ConnectionOptions();
        var eventCount = new Option<long?>("--count") { Description = "Events to receive (default 100000)." };
        var events = new Command("events", "Count events received; print events=N seconds=S rate=R/s.");
        eventsConnection.AddTo(events);
        events.Options.Add(eventCount);
        events.SetAction((p, ct) => BenchCommand.EventsAsync(console, eventsConnection.Read(p, console), Positive(p.GetValue(eventCount), "--count") ?? 100_000, ct));

        var actionsConnection = new ConnectionOptions();
        var actionCount = new Option<long?>("--count") { Description = "Ping actions to send (default 20000)." };
        var inflight = new Option<int?>("--inflight") { Description = "Actions awaiting a reply at once (default 100)." };
        var warmup = new Option<long?>("--warmup") { Description = "Pings sent first and not counted, so the figure is not the JIT's warm-up (default 2000; 0 for none)." };
        var actions = new Command("actions", "Send Pings; print actions=N seconds=S rate=R/s.");
        actionsConnection.AddTo(actions);
        actions.Options.Add(actionCount);
        actions.Options.Add(inflight);
        actions.Options.Add(warmup);
        actions.SetAction((p, ct) => BenchCommand.ActionsAsync(console, actionsConnection.Read(p, console), Positive(p.GetValue(actionCount), "--count") ?? 20_000,
            (int)(Positive(p.GetValue(inflight), "--inflight") ?? 100), NotNegative(p.GetValue(warmup), "--warmup") ?? 2_000, ct));

        bench.Subcommands.Add(events);
        bench.Subcommands.Add(actions);
        return bench;
    }

    private static Command Listen(CliConsole console)
    {
        var config = new Option<string?>("--config") { Description = "A HOCON file (.conf, .hocon) or appsettings-style JSON file with an Ami section. Default: appsettings.json and AMI environment variables." };
        var servers = new Option<string[]>("--server") { Description = "Run only the server with this id (repeat for several)." };
        var http = new Option<string?>("--http") { Description = "Serve /healthz, /readyz and /metrics (Prometheus) on HOST:PORT, for example 127.0.0.1:9464; a bare port binds loopback. Off by default (or ami.listen.http / Ami:Listen:Http)." };
        var logFormat = new Option<string?>("--log-format") { Description = "text (default) or json: Serilog compact JSON, one object per line with every structured property (or ami.listen.log-format / Ami:Listen:LogFormat)." };
        var command = new Command("listen", "Run the long-running worker for the configured servers, logging events; stops gracefully on SIGTERM/SIGINT. With ami.listen.cluster.enabled = on it joins an Akka.NET cluster of workers (seed nodes, host/port, roles) that connects each server once.");
        command.Options.Add(config);
        command.Options.Add(servers);
        command.Options.Add(http);
        command.Options.Add(logFormat);
        command.SetAction((p, ct) => ListenCommand.RunAsync(console, p.GetValue(config), SplitNames(p.GetValue(servers)), p.GetValue(http), p.GetValue(logFormat), ct));
        return command;
    }

    private static Command Demo(CliConsole console)
    {
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: run until Ctrl+C)." };
        var rate = new Option<double?>("--rate") { Description = "New simulated calls per second, per simulated Asterisk (default 5)." };
        var nodes = new Option<int?>("--nodes") { Description = "Run this many AmiActors.Cluster nodes in this process (Akka.Remote on 127.0.0.1) and show which node hosts which PBX (1-9)." };
        var pbxs = new Option<int?>("--pbxs") { Description = "With --nodes: simulated Asterisks, added cluster-wide (default: one per node, at least 3)." };
        var crash = new Option<double?>("--crash-node-after") { Description = "With --nodes (at least 3): after this many seconds, stop a node hosting a PBX without leaving the cluster, and watch its PBXs move." };
        var command = new Command("demo", "Start a simulated Asterisk with live call traffic in-process and watch it with the real client (--nodes: on a cluster of nodes).");
        command.Options.Add(duration);
        command.Options.Add(rate);
        command.Options.Add(nodes);
        command.Options.Add(pbxs);
        command.Options.Add(crash);
        command.SetAction((p, ct) =>
        {
            var d = Seconds(p.GetValue(duration), "--duration");
            double r = p.GetValue(rate) is { } value
                ? (value > 0 && value <= 10_000 ? value : throw CliException.Usage("--rate must be greater than 0 and at most 10000 calls/s."))
                : 5;
            if (p.GetValue(nodes) is not { } n)
            {
                if (p.GetValue(pbxs) is not null || p.GetValue(crash) is not null)
                {
                    throw CliException.Usage("--pbxs and --crash-node-after need --nodes.");
                }
                return DemoCommand.RunAsync(console, d, r, ct);
            }
            if (n is < 1 or > 9)
            {
                throw CliException.Usage("--nodes must be between 1 and 9.");
            }
            int count = p.GetValue(pbxs) ?? Math.Max(3, n);
            if (count is < 1 or > 50)
            {
                throw CliException.Usage("--pbxs must be between 1 and 50.");
            }
            var crashAfter = Seconds(p.GetValue(crash), "--crash-node-after");
            if (crashAfter is not null && n < 3)
            {
                throw CliException.Usage("--crash-node-after needs --nodes 3 or more (with two nodes the split-brain resolver may down the survivor).");
            }
            return ClusterDemoCommand.RunAsync(console, n, count, d, crashAfter, r, ct);
        });
        return command;
    }

    private static IReadOnlyList<string> SplitNames(string[]? values) =>
        values is null ? [] : values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    private static long? Positive(long? value, string name) =>
        value is <= 0 ? throw CliException.Usage($"{name} must be greater than 0.") : value;

    private static long? NotNegative(long? value, string name) =>
        value is < 0 ? throw CliException.Usage($"{name} must be 0 or more.") : value;

    private static TimeSpan? Seconds(double? value, string name) =>
        value switch
        {
            null => null,
            > 0 and < 1e7 => TimeSpan.FromSeconds(value.Value),
            _ => throw CliException.Usage($"{name} must be a number of seconds greater than 0."),
        };
}

/// <summary>The server a one-shot command connects to.</summary>
internal sealed record ConnectionSpec(AmiServerDefinition Server, TimeSpan ConnectTimeout);
