using System.Reflection;
using AmiActors.Actions;
using AmiActors.Protocol;

namespace AmiActors.Generators.Tests;

public class TypedActionTests
{
    public static TheoryData<string> ActionNames()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in Shared.Grouped("actions"))
        {
            data.Add(name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ActionNames))]
    public void Each_typed_action_round_trips_through_the_writer_and_parser_with_every_parameter(string name)
    {
        AmiActionCatalog.TryGetType(name, out var type);
        var action = CreateWithSampleValues(type!);
        var amiAction = action.ToAmiAction();
        Assert.Equal(name, action.ActionName);
        Assert.Equal(name, amiAction.Name);

        byte[] wire = AmiWriter.Write(amiAction, "rt-42");
        var parsed = AmiStreamDecoder.Decode(wire, new AmiParserOptions { ExpectBanner = false });
        var message = Assert.Single(parsed);
        var expected = new List<AmiHeader> { new("Action", name), new("ActionID", "rt-42") };
        expected.AddRange(amiAction.Headers);
        Assert.Equal(expected, message.Headers);

        // Every documented parameter (ActionID and free-form placeholders aside) is on the wire.
        var documented = Shared.Grouped("actions").Single(g => g.Name == name).Entries[^1];
        var sent = message.Headers.Select(h => h.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var p in Shared.Items(documented, "parameters"))
        {
            string parameter = p.GetProperty("name").GetString()!;
            if (parameter == "ActionID" || parameter is "Header1" or "HeaderN")
            {
                continue;
            }
            Assert.True(sent.Contains(parameter), $"{name}: parameter {parameter} was not written");
        }
        Assert.Contains("X-Extra", sent);
    }

    [Fact]
    public void Originate_writes_typed_values_and_one_header_per_variable()
    {
        var originate = new OriginateAction("PJSIP/100")
        {
            Context = "test",
            Exten = "100",
            Priority = 1,
            Timeout = TimeSpan.FromSeconds(45),
            Async = true,
            EarlyMedia = false,
            Variables = new Dictionary<string, string> { ["CAMPAIGN"] = "spring", ["LEAD_ID"] = "42" },
        };
        var headers = originate.ToAmiAction().Headers;
        Assert.Equal(
            [
                new AmiHeader("Channel", "PJSIP/100"), new AmiHeader("Exten", "100"), new AmiHeader("Context", "test"),
                new AmiHeader("Priority", "1"), new AmiHeader("Timeout", "45000"), new AmiHeader("Variable", "CAMPAIGN=spring"),
                new AmiHeader("Variable", "LEAD_ID=42"), new AmiHeader("EarlyMedia", "false"), new AmiHeader("Async", "true"),
            ],
            headers);
    }

    [Fact]
    public void Originate_takes_a_TimeSpan_timeout_and_an_int_priority_and_keeps_their_raw_forms()
    {
        Assert.Equal(typeof(TimeSpan?), typeof(OriginateAction).GetProperty(nameof(OriginateAction.Timeout))!.PropertyType);
        Assert.Equal(typeof(int?), typeof(OriginateAction).GetProperty(nameof(OriginateAction.Priority))!.PropertyType);
        Assert.Equal(typeof(TimeSpan?), typeof(ParkAction).GetProperty(nameof(ParkAction.Timeout))!.PropertyType);

        var typed = new OriginateAction("PJSIP/100") { Priority = 2, Timeout = TimeSpan.FromSeconds(1.5) }.ToAmiAction();
        Assert.Equal("2", typed.Get("Priority"));
        Assert.Equal("1500", typed.Get("Timeout"));
        // Rounded up: a positive duration never becomes 0.
        Assert.Equal("1", new OriginateAction("PJSIP/100") { Timeout = TimeSpan.FromTicks(1) }.ToAmiAction().Get("Timeout"));
        Assert.Equal("0", new OriginateAction("PJSIP/100") { Timeout = TimeSpan.Zero }.ToAmiAction().Get("Timeout"));
        Assert.Equal("2147483647", new OriginateAction("PJSIP/100") { Timeout = TimeSpan.FromMilliseconds(int.MaxValue) }.ToAmiAction().Get("Timeout"));

        var raw = new OriginateAction("PJSIP/100") { Context = "sales", Exten = "s", PriorityRaw = "agents-start", TimeoutRaw = "45000" };
        var rawAction = raw.ToAmiAction();
        Assert.Equal("agents-start", rawAction.Get("Priority"));
        Assert.Equal("45000", rawAction.Get("Timeout"));
        Assert.Single(rawAction.Headers, h => h.Name == "Priority");
        Assert.Contains("PriorityRaw = agents-start", raw.ToString());
        Assert.Contains("Timeout = 00:00:01.5000000", new OriginateAction("PJSIP/100") { Timeout = TimeSpan.FromSeconds(1.5) }.ToString());

        Assert.Equal("5000", new ParkAction("PJSIP/1-1") { Timeout = TimeSpan.FromSeconds(5) }.ToAmiAction().Get("Timeout"));
    }

    [Fact]
    public void Originate_refuses_a_typed_and_a_raw_value_for_the_same_header_and_durations_out_of_range()
    {
        var both = Assert.Throws<ArgumentException>(() => new OriginateAction("PJSIP/100") { Priority = 1, PriorityRaw = "start" }.ToAmiAction());
        Assert.Contains("Priority or PriorityRaw", both.Message);
        Assert.Throws<ArgumentException>(() => new OriginateAction("PJSIP/100") { Timeout = TimeSpan.FromSeconds(1), TimeoutRaw = "1000" }.ToAmiAction());
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => new OriginateAction("PJSIP/100") { Timeout = TimeSpan.FromSeconds(-1) }.ToAmiAction());
        Assert.Equal("Timeout", negative.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new OriginateAction("PJSIP/100") { Timeout = TimeSpan.FromDays(30) }.ToAmiAction());
    }

    [Fact]
    public void Documented_enumerations_and_boolean_pairs_keep_their_wire_spelling()
    {
        Assert.Equal("MD5", new ChallengeAction(ChallengeAuthType.Md5).ToAmiAction().Get("AuthType"));
        Assert.Equal("no", new QueueReloadAction { Members = false }.ToAmiAction().Get("Members"));
        Assert.Equal("yes", new QueueReloadAction { Members = true }.ToAmiAction().Get("Members"));
        Assert.Equal("on", new MuteAudioAction("PJSIP/1", MuteAudioDirection.All, true).ToAmiAction().Get("State"));
        Assert.Equal("all", new MuteAudioAction("PJSIP/1", MuteAudioDirection.All, true).ToAmiAction().Get("Direction"));
        var update = new UpdateConfigAction("a.conf", "b.conf") { Action = ["NewCat", null, "Append"], Cat = ["general", null, "general"] }.ToAmiAction();
        Assert.Equal(["Action-000000", "Cat-000000", "Action-000002", "Cat-000002"], update.Headers.Skip(2).Select(h => h.Name));
        Assert.Equal(
            ["UnitAmount(0)", "UnitAmount(1)"],
            new AOCMessageAction(AOCMessageMsgType.D) { UnitAmount = ["1", "2"] }.ToAmiAction().Headers.Where(h => h.Name.StartsWith("UnitAmount")).Select(h => h.Name));
    }

    [Fact]
    public void Required_parameters_are_constructor_arguments_and_null_is_refused()
    {
        Assert.Throws<ArgumentNullException>(() => new OriginateAction(null!));
        var ctor = Assert.Single(typeof(SetvarAction).GetConstructors());
        Assert.Equal(["variable", "value"], ctor.GetParameters().Select(p => p.Name));
        Assert.Empty(typeof(PingAction).GetConstructors().Single().GetParameters());
    }

    [Fact]
    public void Secrets_never_appear_in_ToString()
    {
        var login = new LoginAction("admin") { Secret = "amp111-very-secret", Key = "0123456789abcdef0123456789abcdef", Events = "call" };
        string text = login.ToString();
        Assert.Contains("admin", text);
        Assert.Contains("Secret = ***", text);
        Assert.DoesNotContain("amp111-very-secret", text);
        Assert.DoesNotContain("0123456789abcdef", text);

        var extra = new UserEventAction("Campaign") { ExtraHeaders = [new AmiHeader("Password", "hunter2")] };
        Assert.DoesNotContain("hunter2", extra.ToString());
        Assert.Contains("Password", extra.ToString());

        // Every generated action: a secret-like parameter set to a marker never prints it.
        foreach (var type in AmiActionCatalog.Names.Select(n => { AmiActionCatalog.TryGetType(n, out var t); return t!; }))
        {
            var action = CreateWithSampleValues(type);
            foreach (var p in type.GetProperties().Where(p => p.PropertyType == typeof(string) && AmiAction.IsSecretHeader(p.GetCustomAttribute<AmiHeaderNameAttribute>()?.Name ?? "")))
            {
                Assert.DoesNotContain("v-" + p.Name, action.ToString()!);
            }
        }
    }

    [Fact]
    public void Values_with_line_breaks_are_refused_by_the_writer_not_sent()
    {
        var action = new SetvarAction("X", "a\r\nAction: Hangup");
        Assert.Throws<AmiActionValidationException>(() => AmiWriter.Write(action.ToAmiAction(), "id-1"));
    }

    /// <summary>Builds an action with a sample value in every constructor argument and init property.</summary>
    internal static IAmiAction CreateWithSampleValues(Type type)
    {
        var ctor = type.GetConstructors().Single();
        var args = ctor.GetParameters().Select(p => Sample(p.ParameterType, p.Name!)).ToArray();
        var action = (IAmiAction)ctor.Invoke(args);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            // A raw companion (PriorityRaw) replaces its typed parameter: setting both is refused.
            bool rawCompanion = property.Name.EndsWith("Raw", StringComparison.Ordinal) && type.GetProperty(property.Name[..^3]) is not null;
            if (!rawCompanion && property.GetValue(action) is null)
            {
                property.SetValue(action, property.Name == "ExtraHeaders"
                    ? new List<AmiHeader> { new("X-Extra", "1") }
                    : Sample(property.PropertyType, property.Name));
            }
        }
        return action;
    }

    private static object Sample(Type type, string name)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(string))
        {
            return "v-" + name;
        }
        if (t == typeof(int))
        {
            return 7;
        }
        if (t == typeof(long))
        {
            return 7L;
        }
        if (t == typeof(bool))
        {
            return true;
        }
        if (t == typeof(TimeSpan))
        {
            return TimeSpan.FromSeconds(7);
        }
        if (t.IsEnum)
        {
            return Enum.GetValues(t).GetValue(Enum.GetValues(t).Length - 1)!;
        }
        if (t == typeof(IReadOnlyDictionary<string, string>))
        {
            return new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" };
        }
        if (t == typeof(IReadOnlyList<string?>))
        {
            return new List<string?> { "x0", "x1" };
        }
        throw new InvalidOperationException($"no sample for {type}");
    }
}
