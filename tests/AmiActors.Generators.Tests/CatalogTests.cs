using System.Reflection;
using AmiActors.Actions;
using AmiActors.Events;
using AmiActors.Protocol;

namespace AmiActors.Generators.Tests;

public class CatalogTests
{
    [Fact]
    public void Every_documented_event_name_has_exactly_one_typed_class()
    {
        var names = Shared.Grouped("events").Select(g => g.Name).ToList();
        Assert.True(Shared.Catalog.GetProperty("events").GetArrayLength() >= names.Count);
        Assert.Equal(names.Count, AmiEventCatalog.Count);
        Assert.Equal(names, AmiEventCatalog.Names);
        foreach (string name in names)
        {
            Assert.True(AmiEventCatalog.TryGetType(name, out var type), name);
            Assert.True(type.IsSealed && type.IsSubclassOf(typeof(AmiEventReceived)), name);
            Assert.Equal("AmiActors.Events", type.Namespace);
            Assert.Equal(name, AmiEventCatalog.GetEventName(type));
            Assert.Equal(name, type.GetField("AmiName")!.GetRawConstantValue());
            Assert.True(AmiEventCatalog.TryGetType(name.ToUpperInvariant(), out var upper), name);
            Assert.Same(type, upper);
        }
        var generated = typeof(AmiEventReceived).Assembly.GetTypes().Count(t => t.Namespace == "AmiActors.Events" && t.IsSubclassOf(typeof(AmiEventReceived)));
        Assert.Equal(names.Count, generated);
    }

    [Fact]
    public void Every_documented_action_name_has_exactly_one_typed_class()
    {
        var names = Shared.Grouped("actions").Select(g => g.Name).ToList();
        Assert.Equal(names.Count, AmiActionCatalog.Count);
        Assert.Equal(names, AmiActionCatalog.Names);
        foreach (string name in names)
        {
            Assert.True(AmiActionCatalog.TryGetType(name, out var type), name);
            Assert.True(typeof(IAmiAction).IsAssignableFrom(type), name);
            Assert.Equal("AmiActors.Actions", type.Namespace);
            Assert.Equal(name, AmiActionCatalog.GetActionName(type));
            Assert.Null(type.GetProperty("ActionID") ?? type.GetProperty("ActionId"));
        }
        var generated = typeof(AmiEventReceived).Assembly.GetTypes().Count(t => t.Namespace == "AmiActors.Actions" && typeof(IAmiAction).IsAssignableFrom(t));
        Assert.Equal(names.Count, generated);
    }

    [Fact]
    public void Every_documented_event_field_has_a_property_named_after_its_header()
    {
        foreach (var (name, entries) in Shared.Grouped("events"))
        {
            AmiEventCatalog.TryGetType(name, out var type);
            var expected = entries.SelectMany(e => Shared.Items(e, "fields")).Select(f => f.GetProperty("name").GetString()!)
                .Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(n => n, StringComparer.Ordinal).ToList();
            var actual = HeaderProperties(type!).Select(p => p.Header).OrderBy(n => n, StringComparer.Ordinal).ToList();
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void List_actions_name_their_item_and_complete_events()
    {
        var list = new CoreShowChannelsAction();
        IAmiListAction<CoreShowChannelEvent> typed = list;
        Assert.Equal(["CoreShowChannel"], typed.ItemEventNames);
        Assert.Equal("CoreShowChannelsComplete", typed.CompleteEventName);

        IAmiListAction<AmiEventReceived> endpoint = new PJSIPShowEndpointAction("100");
        Assert.Equal(6, endpoint.ItemEventNames.Count);
        Assert.Equal("EndpointDetailComplete", endpoint.CompleteEventName);

        // Every action whose catalog entry names list items or a Complete event is a list action.
        foreach (var (name, entries) in Shared.Grouped("actions"))
        {
            var e = entries[^1];
            if (e.TryGetProperty("listComplete", out _) || e.TryGetProperty("listItems", out _))
            {
                AmiActionCatalog.TryGetType(name, out var type);
                Assert.Contains(type!.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAmiListAction<>));
            }
        }
        Assert.IsAssignableFrom<IAmiListAction<StatusEvent>>(new StatusAction());
        Assert.Equal("StatusComplete", new StatusAction().CompleteEventName);
    }

    internal static List<(PropertyInfo Property, string Header)> HeaderProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Select(p => (p, p.GetCustomAttribute<AmiHeaderNameAttribute>()?.Name))
            .Where(x => x.Name is not null)
            .Select(x => (x.p, x.Name!))
            .ToList();
}
