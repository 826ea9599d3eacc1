using AmiActors;
using AmiActors.Actions;
using AmiActors.Events;
using AmiActors.Protocol;

namespace AmiActors.Samples.Snippets;

/// <summary>Actions from code that is not an actor: <see cref="IAmiClient"/>.</summary>
public static class Asking
{
    public static async Task Generic(IAmiClient ami)
    {
        var reply = await ami.SendAsync("pbx1", new AmiAction("CoreShowChannels"));   // response + every item + Complete
        foreach (var item in reply.Events)
        {
            Console.WriteLine(item["Channel"]);
        }
        var version = await ami.SendAsync("pbx1", new AmiAction("Command", ("Command", "core show version")));
        Console.WriteLine(string.Join('\n', version.CommandOutput));
    }

    public static async Task Typed(IAmiClient ami)
    {
        var pong = await ami.SendAsync("pbx1", new PingAction());
        var uptime = await ami.SendAsync("pbx1", new CommandAction("core show uptime"));
        var channels = await ami.SendListAsync("pbx1", new CoreShowChannelsAction());   // AmiListResult<CoreShowChannelEvent>
        foreach (var c in channels.Items)
        {
            Console.WriteLine($"{c.Channel} {c.ChannelStateDesc} {c.Context},{c.Exten},{c.Priority}");
        }
        Console.WriteLine($"{pong.Response["Ping"]} {uptime.CommandOutput.Count}");
    }

    public static async Task Originate(IAmiClient ami)
    {
        var result = await ami.SendAsync("pbx1", new OriginateAction("PJSIP/100")
        {
            Context = "sales",
            Exten = "200",
            Priority = 1,
            Timeout = TimeSpan.FromSeconds(30),
            Async = true,
            Variables = new Dictionary<string, string> { ["LEAD"] = "42" },
        });
        OriginateResponseEvent answered = result.OriginateResponseEvent!;
        Console.WriteLine($"{answered.Channel} {answered.Uniqueid}");
        Console.WriteLine(result);   // AmiActionResult(pbx1, 1.7, OriginateResponse Success, Reason 4 (answered), Channel ..., Uniqueid ...)
    }

    public static async Task OriginateFailure(IAmiClient ami)
    {
        try
        {
            await ami.SendAsync("pbx1", new OriginateAction("PJSIP/100") { Context = "sales", Exten = "200", Priority = 1, Async = true });
        }
        catch (AmiErrorResponseException e) when (e.Result.OriginateResponseEvent is { } failed)
        {
            Console.WriteLine($"{failed.Reason}: {AmiActionResult.OriginateReasonText(failed.Reason)}");   // 5: busy
        }
        var raw = await ami.SendRawAsync("pbx1", new OriginateAction("PJSIP/100") { Context = "sales", Exten = "200", Priority = 1, Async = true });
        Console.WriteLine(raw.IsSuccess ? "answered" : raw.ToString());
    }

    public static async Task OriginateRaw(IAmiClient ami)
    {
        // A dialplan label and a timeout written exactly as given: for dialplans the typed values cannot express.
        await ami.SendAsync("pbx1", new OriginateAction("PJSIP/100")
        {
            Context = "sales",
            Exten = "200",
            PriorityRaw = "agent-start",
            TimeoutRaw = "45000",
            Async = true,
        });
    }
}
