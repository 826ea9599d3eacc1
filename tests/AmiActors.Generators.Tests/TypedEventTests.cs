using System.Globalization;
using AmiActors.Events;
using AmiActors.Protocol;

namespace AmiActors.Generators.Tests;

public class TypedEventTests
{
    [Fact]
    public void Every_event_of_the_2000_event_capture_maps_to_its_typed_class_with_every_field_readable()
    {
        var events = Shared.Decode("event-stream-2000.recv.txt").Where(m => m.Kind == AmiMessageKind.Event).ToList();
        Assert.Equal(2000, events.Count);
        int typed = 0;
        int fieldsCompared = 0;
        foreach (var message in events)
        {
            var wrapped = AmiEventReceived.Create("pbx-1", message);
            Assert.Same(message, wrapped.Event);
            Assert.Equal("pbx-1", wrapped.ServerId);
            if (!AmiEventCatalog.TryGetType(message.EventName!, out var type))
            {
                Assert.Equal(typeof(AmiEventReceived), wrapped.GetType());
                continue;
            }
            typed++;
            Assert.Equal(type, wrapped.GetType());
            foreach (var (property, header) in CatalogTests.HeaderProperties(type))
            {
                string? raw = message.Get(header);
                object? value = property.GetValue(wrapped);
                var rawProperty = type.GetProperty(property.Name + "Raw");
                if (property.PropertyType == typeof(string))
                {
                    Assert.Equal(raw, value);
                }
                else
                {
                    Assert.Equal(raw, rawProperty!.GetValue(wrapped));
                    Assert.Equal(Expected(property.PropertyType, raw), value);
                }
                if (raw is not null)
                {
                    fieldsCompared++;
                }
            }
        }
        // The capture holds only documented event names; make sure the comparison really ran.
        Assert.Equal(2000, typed);
        Assert.True(fieldsCompared > 20000, $"only {fieldsCompared} present fields were compared");
    }

    [Fact]
    public void Typed_numbers_booleans_and_enums_read_real_values()
    {
        var events = Shared.Decode("event-stream-2000.recv.txt").Select(m => AmiEventReceived.Create("s", m)).ToList();
        var hangup = events.OfType<HangupEvent>().First();
        Assert.Equal(int.Parse(hangup.Event["Cause"]!, CultureInfo.InvariantCulture), hangup.Cause);
        Assert.Equal(hangup.Event["Cause-txt"], hangup.CauseTxt);
        var dialEnd = events.OfType<DialEndEvent>().First(d => d.Event["DialStatus"] == "ANSWER");
        Assert.Equal(DialEndDialStatus.Answer, dialEnd.DialStatus);
        Assert.Equal("ANSWER", dialEnd.DialStatus!.Value.ToAmiString());
        var member = events.OfType<QueueMemberStatusEvent>().First();
        Assert.Equal(member.Event["Paused"] == "1", member.Paused);
        Assert.NotNull(member.Status);
        Assert.NotNull(member.LastCall);
        var cdr = events.OfType<CdrEvent>().First(c => c.Event["Disposition"] == "ANSWERED");
        Assert.Equal(CdrDisposition.Answered, cdr.Disposition);
        Assert.Equal("NO ANSWER", CdrDisposition.NoAnswer.ToAmiString());
    }

    [Fact]
    public void Malformed_values_give_null_and_keep_the_raw_text()
    {
        var message = AmiMessage.Create(
            ("Event", "Hangup"), ("Channel", "PJSIP/100-00000001"), ("ChannelState", "99999999999999"),
            ("Priority", ""), ("Cause", "sixteen"), ("Cause-txt", "Normal Clearing"));
        var hangup = Assert.IsType<HangupEvent>(AmiEventReceived.Create("s", message));
        Assert.Null(hangup.Cause);
        Assert.Equal("sixteen", hangup.CauseRaw);
        Assert.Null(hangup.ChannelState);
        Assert.Equal("99999999999999", hangup.ChannelStateRaw);
        Assert.Null(hangup.Priority);
        Assert.Equal("", hangup.PriorityRaw);
        Assert.Null(hangup.Linkedid);

        var dial = Assert.IsType<DialEndEvent>(AmiEventReceived.Create("s", AmiMessage.Create(("Event", "DialEnd"), ("DialStatus", "SOMETHING-NEW"))));
        Assert.Null(dial.DialStatus);
        Assert.Equal("SOMETHING-NEW", dial.DialStatusRaw);
        var lower = Assert.IsType<DialEndEvent>(AmiEventReceived.Create("s", AmiMessage.Create(("Event", "dialend"), ("DialStatus", "noanswer"))));
        Assert.Equal(DialEndDialStatus.Noanswer, lower.DialStatus);

        var member = Assert.IsType<QueueMemberStatusEvent>(AmiEventReceived.Create("s", AmiMessage.Create(
            ("Event", "QueueMemberStatus"), ("Paused", "maybe"), ("InCall", " 1 "), ("Status", "x"), ("LastCall", "-"))));
        Assert.Null(member.Paused);
        Assert.True(member.InCall);
        Assert.Null(member.Status);
        Assert.Null(member.LastCall);
    }

    [Fact]
    public void Unknown_repeated_and_undocumented_headers_stay_reachable_through_the_message()
    {
        var message = AmiMessage.Create(
            ("Event", "VarSet"), ("Variable", "A"), ("Value", "1"), ("Variable", "B"), ("X-Custom", "kept"), ("ChanVariable(PJSIP/1)", "v"));
        var varSet = Assert.IsType<VarSetEvent>(AmiEventReceived.Create("s", message));
        Assert.Equal("A", varSet.Variable);
        Assert.Equal(["A", "B"], varSet.Event.GetAll("Variable"));
        Assert.Equal("kept", varSet.Event["X-Custom"]);
        Assert.Equal("v", varSet.Event["ChanVariable(PJSIP/1)"]);
    }

    [Theory]
    [InlineData("MyCompanyCustomEvent")]
    [InlineData("Hangupx")]
    [InlineData("Hangu")]
    [InlineData("")]
    [InlineData("Jürgen")]
    public void Unknown_event_names_stay_generic(string name)
    {
        var wrapped = AmiEventReceived.Create("s", AmiMessage.Create(("Event", name), ("Channel", "x")));
        Assert.Equal(typeof(AmiEventReceived), wrapped.GetType());
        Assert.Equal("x", wrapped.Event["Channel"]);
    }

    [Fact]
    public void A_frame_without_an_event_header_stays_generic_and_names_match_case_insensitively()
    {
        Assert.Equal(typeof(AmiEventReceived), AmiEventReceived.Create("s", AmiMessage.Create(("Response", "Success"))).GetType());
        Assert.IsType<HangupEvent>(AmiEventReceived.Create("s", AmiMessage.Create(("Event", "HANGUP"))));
        Assert.IsType<AOCDEvent>(AmiEventReceived.Create("s", AmiMessage.Create(("Event", "aoc-d"))));
        Assert.IsType<AOCEEvent>(AmiEventReceived.Create("s", AmiMessage.Create(("Event", "AOC-E"))));
    }

    [Fact]
    public void Every_catalog_name_is_found_by_the_router_lookup_in_any_case()
    {
        foreach (string name in AmiEventCatalog.Names)
        {
            AmiEventCatalog.TryGetType(name, out var type);
            foreach (string variant in new[] { name, name.ToLowerInvariant(), name.ToUpperInvariant() })
            {
                Assert.Equal(type, AmiEventReceived.Create("s", AmiMessage.Create(("Event", variant))).GetType());
            }
        }
    }

    [Fact]
    public void Typed_events_print_no_header_values()
    {
        var message = AmiMessage.Create(("Event", "InvalidPassword"), ("AccountID", "alice"), ("ReceivedHash", "deadbeefcafe"), ("SessionID", "0x1"));
        var wrapped = AmiEventReceived.Create("s", message);
        Assert.IsType<InvalidPasswordEvent>(wrapped);
        string text = wrapped.ToString();
        Assert.Contains("InvalidPasswordEvent", text);
        Assert.DoesNotContain("deadbeefcafe", text);
        Assert.DoesNotContain("alice", text);
    }

    [Fact]
    public void Typed_events_have_value_equality_over_server_and_message()
    {
        var message = AmiMessage.Create(("Event", "Hangup"));
        Assert.Equal(AmiEventReceived.Create("s", message), AmiEventReceived.Create("s", message));
        Assert.NotEqual(AmiEventReceived.Create("s", message), AmiEventReceived.Create("t", message));
    }

    private static object? Expected(Type propertyType, string? raw)
    {
        if (raw is null)
        {
            return null;
        }
        var t = Nullable.GetUnderlyingType(propertyType) ?? propertyType;
        string v = raw.Trim();
        if (t == typeof(int))
        {
            return int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i) ? i : null;
        }
        if (t == typeof(long))
        {
            return long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) ? l : null;
        }
        if (t == typeof(bool))
        {
            return v.ToLowerInvariant() switch
            {
                "yes" or "true" or "y" or "t" or "1" or "on" or "enabled" => true,
                "no" or "false" or "n" or "f" or "0" or "off" or "disabled" => false,
                _ => null,
            };
        }
        if (t.IsEnum)
        {
            // The documented wire string of each member, via the generated ToAmiString extension.
            var toAmi = typeof(EventEnumExtensions).GetMethod("ToAmiString", [t])!;
            foreach (var member in Enum.GetValues(t))
            {
                if (string.Equals((string)toAmi.Invoke(null, [member])!, raw, StringComparison.OrdinalIgnoreCase))
                {
                    return member;
                }
            }
            return null;
        }
        throw new InvalidOperationException($"unexpected property type {propertyType}");
    }
}
