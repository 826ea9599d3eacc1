using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace AmiActors.Generators;

/// <summary>How a value is typed in generated code.</summary>
internal enum ValueKind
{
    String,
    Int32,
    Int64,
    Boolean,
    Enum,
    /// <summary>Repeated <c>Variable: name=value</c> headers (a dictionary).</summary>
    Variables,
    /// <summary>Numbered headers (<c>Cat-000000</c>, <c>UnitAmount(0)</c>): a list written with increasing indexes.</summary>
    Indexed,
    /// <summary>A duration the server takes in whole milliseconds: a <c>TimeSpan</c> (action parameters only).</summary>
    Milliseconds,
}

internal sealed class EnumModel
{
    public EnumModel(string typeName, List<KeyValuePair<string, string>> members, string owners)
    {
        TypeName = typeName;
        Members = members;
        Owners = owners;
    }

    public string TypeName { get; }

    /// <summary>Wire value -> member name, in catalog order.</summary>
    public List<KeyValuePair<string, string>> Members { get; }

    public string Owners { get; set; }
}

internal sealed class ValueModel
{
    public string WireName = "";
    public string PropertyName = "";
    public ValueKind Kind;
    public bool Required;
    public string? Default;
    public List<string>? Values;
    public EnumModel? Enum;
    public string TrueWire = "true";
    public string FalseWire = "false";
    public string? Group;
    public string? Prefix;
    public bool IsSecret;

    /// <summary>For an optional typed action parameter: the name of its string companion, written as is instead (null: none).</summary>
    public string? RawPropertyName;

    /// <summary>For <see cref="ValueKind.Indexed"/>: the name before the index and the index format.</summary>
    public string IndexedBase = "";
    public bool IndexedParenthesized;
}

internal sealed class EventModel
{
    public string WireName = "";
    public string ClassName = "";
    public List<string> Modules = new();
    public string Class = "";
    public List<string> Since = new();
    public List<ValueModel> Fields = new();
}

internal sealed class ActionModel
{
    public string WireName = "";
    public string ClassName = "";
    public List<string> Modules = new();
    public List<string> Since = new();
    public List<ValueModel> Parameters = new();
    public List<string> SkippedParameters = new();
    public bool IsList;
    public List<string> ItemEvents = new();
    public string? CompleteEvent;
    public EventModel? ItemType;
}

internal sealed class CatalogModel
{
    public string Source = "";
    public List<string> Files = new();
    public List<EventModel> Events = new();
    public List<ActionModel> Actions = new();
    public List<EnumModel> EventEnums = new();
    public List<EnumModel> ActionEnums = new();
}

/// <summary>Type hints: which documented values are numbers or booleans (the catalog itself has no types).</summary>
internal sealed class TypeHints
{
    private readonly Dictionary<string, ValueKind> _event = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ValueKind> _action = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _raw = new(StringComparer.OrdinalIgnoreCase);

    public static TypeHints Parse(object? json)
    {
        var hints = new TypeHints();
        if (json is null)
        {
            return hints;
        }
        var root = json as Dictionary<string, object?> ?? throw new FormatException("the type hints document must be an object");
        Fill(root, "eventFields", hints._event);
        Fill(root, "actionParameters", hints._action);
        if (root.TryGetValue("rawActionParameters", out var raw) && raw is not null)
        {
            var names = raw as List<object?> ?? throw new FormatException("'rawActionParameters' must be an array of 'Action.Parameter' names");
            foreach (var n in names)
            {
                hints._raw.Add(n as string ?? throw new FormatException("'rawActionParameters' must hold strings"));
            }
        }
        return hints;
    }

    private static void Fill(Dictionary<string, object?> root, string section, Dictionary<string, ValueKind> target)
    {
        if (!root.TryGetValue(section, out var s) || s is null)
        {
            return;
        }
        var kinds = s as Dictionary<string, object?> ?? throw new FormatException($"'{section}' must be an object of kind -> names");
        foreach (var pair in kinds)
        {
            ValueKind kind = pair.Key switch
            {
                "int" => ValueKind.Int32,
                "long" => ValueKind.Int64,
                "bool" => ValueKind.Boolean,
                "string" => ValueKind.String,
                "variables" => ValueKind.Variables,
                "milliseconds" when section == "actionParameters" => ValueKind.Milliseconds,
                _ => throw new FormatException($"'{section}': unknown kind '{pair.Key}' (int, long, bool, string, variables; milliseconds for actions)"),
            };
            var names = pair.Value as List<object?> ?? throw new FormatException($"'{section}.{pair.Key}' must be an array of names");
            foreach (var n in names)
            {
                target[n as string ?? throw new FormatException($"'{section}.{pair.Key}' must hold strings")] = kind;
            }
        }
    }

    /// <summary>Hint for an event field: "Event.Field", then "group/BaseField" for snapshot fields, then "Field" for ungrouped ones.</summary>
    public ValueKind? ForEventField(string eventName, string field, string? group, string? prefix)
    {
        if (_event.TryGetValue(eventName + "." + field, out var k))
        {
            return k;
        }
        if (group is not null)
        {
            string baseName = prefix is not null && field.StartsWith(prefix, StringComparison.Ordinal) ? field.Substring(prefix.Length) : field;
            return _event.TryGetValue(group + "/" + baseName, out k) ? k : null;
        }
        return _event.TryGetValue(field, out k) ? k : null;
    }

    /// <summary>True when the typed action parameter "Action.Parameter" also gets a string companion <c>XxxRaw</c>.</summary>
    public bool HasRaw(string actionName, string parameter) => _raw.Contains(actionName + "." + parameter);

    /// <summary>Hint for an action parameter: "Action.Parameter", then "Parameter".</summary>
    public ValueKind? ForActionParameter(string actionName, string parameter)
    {
        if (_action.TryGetValue(actionName + "." + parameter, out var k))
        {
            return k;
        }
        return _action.TryGetValue(parameter, out k) ? k : null;
    }
}

/// <summary>Builds the generation model from one or more catalog documents and the type hints.</summary>
internal static class CatalogBuilder
{
    private static readonly string[] EventReserved =
    {
        "Event", "ServerId", "EventName", "EqualityContract", "AmiName", "ToString", "GetHashCode", "Equals", "GetType",
        "Deconstruct", "Create", "MemberwiseClone", "Finalize", "PrintMembers",
    };

    private static readonly string[] ActionReserved =
    {
        "ActionName", "ToAmiAction", "ExtraHeaders", "EqualityContract", "AmiName", "ToString", "GetHashCode", "Equals",
        "GetType", "Deconstruct", "MemberwiseClone", "Finalize", "PrintMembers", "ItemEventNames", "CompleteEventName",
    };

    private static readonly string[][] BooleanPairs =
    {
        new[] { "yes", "no" }, new[] { "true", "false" }, new[] { "1", "0" }, new[] { "on", "off" }, new[] { "enabled", "disabled" },
    };

    public static CatalogModel Build(IReadOnlyList<KeyValuePair<string, object?>> catalogs, TypeHints hints)
    {
        var model = new CatalogModel();
        var events = new Dictionary<string, Dictionary<string, object?>>(StringComparer.OrdinalIgnoreCase);
        var eventModules = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var eventOrder = new List<string>();
        var actions = new Dictionary<string, Dictionary<string, object?>>(StringComparer.OrdinalIgnoreCase);
        var actionModules = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var actionOrder = new List<string>();
        var sources = new List<string>();

        // Later catalogs (by file name) override earlier ones entry by entry; duplicate names inside one catalog
        // (the same event raised by several modules) merge their fields.
        foreach (var catalog in catalogs)
        {
            model.Files.Add(catalog.Key);
            var root = catalog.Value as Dictionary<string, object?> ?? throw new FormatException("the catalog must be a JSON object");
            if (root.TryGetValue("source", out var src) && src is string s)
            {
                sources.Add(s);
            }
            var seenHere = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var e in Objects(root, "events"))
            {
                string name = Str(e, "name") ?? throw new FormatException("an event has no name");
                Merge(events, eventModules, eventOrder, seenHere, name, e, "fields");
            }
            seenHere.Clear();
            foreach (var a in Objects(root, "actions"))
            {
                string name = Str(a, "name") ?? throw new FormatException("an action has no name");
                Merge(actions, actionModules, actionOrder, seenHere, name, a, "parameters");
            }
        }
        model.Source = string.Join("; ", sources);

        var typeNames = new HashSet<string>(StringComparer.Ordinal);
        var eventsByName = new Dictionary<string, EventModel>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in eventOrder)
        {
            var e = events[name];
            var em = new EventModel
            {
                WireName = name,
                ClassName = Unique(typeNames, Naming.Identifier(name) + "Event"),
                Modules = eventModules[name],
                Class = Str(e, "class") ?? "",
                Since = Strings(e, "since"),
            };
            var used = new HashSet<string>(EventReserved, StringComparer.Ordinal) { em.ClassName };
            foreach (var f in Objects(e, "fields"))
            {
                var v = new ValueModel
                {
                    WireName = Str(f, "name") ?? throw new FormatException($"a field of event {name} has no name"),
                    Required = f.TryGetValue("required", out var r) && r is true,
                    Values = f.ContainsKey("values") ? Strings(f, "values") : null,
                    Group = Str(f, "group"),
                    Prefix = Str(f, "prefix"),
                };
                v.IsSecret = Naming.IsSecret(v.WireName);
                Classify(v, hints.ForEventField(name, v.WireName, v.Group, v.Prefix), allowSpacesInEnum: true);
                v.PropertyName = Reserve(used, Naming.Identifier(v.WireName));
                em.Fields.Add(v);
            }
            foreach (var v in em.Fields)
            {
                if (v.Kind is ValueKind.Int32 or ValueKind.Int64 or ValueKind.Boolean or ValueKind.Enum)
                {
                    Reserve(used, v.PropertyName + "Raw");
                }
            }
            model.Events.Add(em);
            eventsByName[name] = em;
        }

        foreach (string name in actionOrder)
        {
            var a = actions[name];
            var am = new ActionModel
            {
                WireName = name,
                ClassName = Unique(typeNames, Naming.Identifier(name) + "Action"),
                Modules = actionModules[name],
                Since = Strings(a, "since"),
            };
            var used = new HashSet<string>(ActionReserved, StringComparer.Ordinal) { am.ClassName };
            foreach (var p in Objects(a, "parameters"))
            {
                string pname = Str(p, "name") ?? throw new FormatException($"a parameter of action {name} has no name");
                if (string.Equals(pname, "ActionID", StringComparison.OrdinalIgnoreCase))
                {
                    continue; // assigned by the runtime
                }
                if (Naming.IsFreeHeaderPlaceholder(pname))
                {
                    am.SkippedParameters.Add(pname);
                    continue;
                }
                var v = new ValueModel
                {
                    WireName = pname,
                    Required = p.TryGetValue("required", out var r) && r is true,
                    Default = Str(p, "default"),
                    Values = p.ContainsKey("values") ? Strings(p, "values") : null,
                };
                v.IsSecret = Naming.IsSecret(pname);
                if (pname.EndsWith("-000000", StringComparison.Ordinal))
                {
                    v.Kind = ValueKind.Indexed;
                    v.IndexedBase = pname.Substring(0, pname.Length - 7);
                    v.Required = false;
                }
                else if (pname.EndsWith("(0)", StringComparison.Ordinal))
                {
                    v.Kind = ValueKind.Indexed;
                    v.IndexedBase = pname.Substring(0, pname.Length - 3);
                    v.IndexedParenthesized = true;
                    v.Required = false;
                }
                else
                {
                    Classify(v, hints.ForActionParameter(name, pname), allowSpacesInEnum: false);
                }
                string baseName = v.Kind == ValueKind.Indexed ? v.IndexedBase : pname;
                v.PropertyName = Reserve(used, v.Kind == ValueKind.Variables ? "Variables" : Naming.Identifier(baseName));
                if (!v.Required && v.Kind is not (ValueKind.String or ValueKind.Variables or ValueKind.Indexed) && hints.HasRaw(name, pname))
                {
                    v.RawPropertyName = Reserve(used, v.PropertyName + "Raw");
                }
                am.Parameters.Add(v);
            }

            // A list action: the catalog names its items or Complete event, or an event <Action>Complete exists.
            var listItems = a.ContainsKey("listItems") ? Strings(a, "listItems") : new List<string>();
            string? complete = Str(a, "listComplete");
            if (complete is null && eventsByName.ContainsKey(name + "Complete"))
            {
                complete = eventsByName[name + "Complete"].WireName;
            }
            am.IsList = a.ContainsKey("listItems") || complete is not null;
            if (am.IsList)
            {
                am.CompleteEvent = complete;
                if (listItems.Count == 0)
                {
                    foreach (var rel in Objects(a, "related"))
                    {
                        if (Str(rel, "type") == "managerEvent" && Str(rel, "name") is { } rn
                            && !string.Equals(rn, complete, StringComparison.OrdinalIgnoreCase) && eventsByName.ContainsKey(rn))
                        {
                            listItems.Add(rn);
                        }
                    }
                }
                am.ItemEvents = listItems;
                if (listItems.Count == 1 && eventsByName.TryGetValue(listItems[0], out var item))
                {
                    am.ItemType = item;
                }
            }
            model.Actions.Add(am);
        }

        NameEventEnums(model, typeNames);
        NameActionEnums(model, typeNames);
        return model;
    }

    private static void Merge(
        Dictionary<string, Dictionary<string, object?>> entries,
        Dictionary<string, List<string>> modules,
        List<string> order,
        HashSet<string> seenHere,
        string name,
        Dictionary<string, object?> entry,
        string listKey)
    {
        string? module = Str(entry, "module");
        if (!entries.TryGetValue(name, out var existing))
        {
            entries[name] = entry;
            modules[name] = new List<string>();
            order.Add(name);
        }
        else if (!seenHere.Contains(name))
        {
            // A newer catalog replaces the entry but keeps its position.
            entries[name] = entry;
            modules[name].Clear();
        }
        else
        {
            // Same name from another module: union of fields, first occurrence wins.
            var list = existing.TryGetValue(listKey, out var l) && l is List<object?> ll ? ll : new List<object?>();
            var names = new HashSet<string>(list.OfType<Dictionary<string, object?>>().Select(f => Str(f, "name") ?? ""), StringComparer.OrdinalIgnoreCase);
            foreach (var f in Objects(entry, listKey))
            {
                if (names.Add(Str(f, "name") ?? ""))
                {
                    list.Add(f);
                }
            }
            existing[listKey] = list;
        }
        seenHere.Add(name);
        if (module is not null && !modules[name].Contains(module))
        {
            modules[name].Add(module);
        }
    }

    private static void Classify(ValueModel v, ValueKind? hint, bool allowSpacesInEnum)
    {
        var values = v.Values;
        if (hint is { } h)
        {
            v.Kind = h;
            if (h == ValueKind.Boolean && values is not null && BooleanPair(values) is { } pair)
            {
                v.TrueWire = pair[0];
                v.FalseWire = pair[1];
            }
            return;
        }
        if (values is null || values.Count == 0)
        {
            v.Kind = ValueKind.String;
            return;
        }
        if (BooleanPair(values) is { } bp)
        {
            v.Kind = ValueKind.Boolean;
            v.TrueWire = bp[0];
            v.FalseWire = bp[1];
            return;
        }
        if (values.All(x => int.TryParse(x, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
        {
            v.Kind = ValueKind.Int32;
            return;
        }
        v.Kind = values.All(x => Naming.IsEnumToken(x, allowSpacesInEnum)) ? ValueKind.Enum : ValueKind.String;
    }

    // Returns { trueWire, falseWire } in the catalog's spelling when the values are exactly a boolean pair.
    private static string[]? BooleanPair(List<string> values)
    {
        if (values.Count != 2)
        {
            return null;
        }
        foreach (var pair in BooleanPairs)
        {
            int t = values.FindIndex(x => string.Equals(x, pair[0], StringComparison.OrdinalIgnoreCase));
            int f = values.FindIndex(x => string.Equals(x, pair[1], StringComparison.OrdinalIgnoreCase));
            if (t >= 0 && f >= 0)
            {
                return new[] { values[t], values[f] };
            }
        }
        return null;
    }

    private static void NameEventEnums(CatalogModel model, HashSet<string> typeNames)
    {
        // One enum per (field name, value list). A field name with a single value list across the catalog names its
        // enum after the field (Severity); otherwise the first event using that list prefixes it (DialEndDialStatus).
        var byField = new Dictionary<string, List<(EventModel Owner, ValueModel Field)>>(StringComparer.OrdinalIgnoreCase);
        var fieldOrder = new List<string>();
        foreach (var e in model.Events)
        {
            foreach (var f in e.Fields.Where(f => f.Kind == ValueKind.Enum))
            {
                if (!byField.TryGetValue(f.WireName, out var list))
                {
                    byField[f.WireName] = list = new();
                    fieldOrder.Add(f.WireName);
                }
                list.Add((e, f));
            }
        }
        // Desired names first; enums named exactly after their field claim names before prefixed ones (ContactStatus).
        var wanted = new List<(string Name, string Field, List<(EventModel Owner, ValueModel Field)> Group)>();
        foreach (string field in fieldOrder)
        {
            var uses = byField[field];
            var lists = uses.Select(u => string.Join("\u0001", u.Field.Values!)).Distinct(StringComparer.Ordinal).ToList();
            foreach (string key in lists)
            {
                var group = uses.Where(u => string.Join("\u0001", u.Field.Values!) == key).ToList();
                wanted.Add((EnumName(group.Select(g => Naming.Identifier(g.Owner.WireName)).Distinct().ToList(), Naming.Identifier(field)), Naming.Identifier(field), group));
            }
        }
        foreach (var w in wanted.OrderBy(w => w.Name == w.Field ? 0 : 1))
        {
            string name = typeNames.Contains(w.Name) ? Naming.Identifier(w.Group[0].Owner.WireName) + w.Field : w.Name;
            var em = new EnumModel(Unique(typeNames, name), Members(w.Group[0].Field.Values!, name), string.Join(", ", w.Group.Select(g => g.Owner.WireName)));
            model.EventEnums.Add(em);
            foreach (var g in w.Group)
            {
                g.Field.Enum = em;
            }
        }
    }

    private static readonly HashSet<string> GenericNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "Type", "Response", "State", "Direction", "Result", "Reason", "Unit", "Status", "Operation", "EventName", "Value", "Name",
    };

    // Names an event enum after what its owners share: one owner -> Owner+Field (HangupCause); several -> their common
    // prefix or suffix (QueueMemberMembership, TransferResult), else the field alone unless that is too generic to stand alone.
    private static string EnumName(List<string> owners, string field)
    {
        if (owners.Count == 1)
        {
            return field.StartsWith(owners[0], StringComparison.Ordinal) ? field : owners[0] + field;
        }
        string prefix = owners.Aggregate((a, b) => new string(a.Zip(b, (x, y) => (x, y)).TakeWhile(p => p.x == p.y).Select(p => p.x).ToArray()));
        if (prefix.Length >= 3)
        {
            return prefix + field;
        }
        string suffix = owners.Aggregate((a, b) => new string(a.Reverse().Zip(b.Reverse(), (x, y) => (x, y)).TakeWhile(p => p.x == p.y).Select(p => p.x).Reverse().ToArray()));
        int upper = 0;
        while (upper < suffix.Length && !char.IsUpper(suffix[upper]))
        {
            upper++;
        }
        suffix = suffix.Substring(upper);
        if (suffix.Length >= 3)
        {
            return suffix + field;
        }
        return GenericNames.Contains(field) ? owners[0] + field : field;
    }

    private static void NameActionEnums(CatalogModel model, HashSet<string> typeNames)
    {
        foreach (var a in model.Actions)
        {
            foreach (var p in a.Parameters.Where(p => p.Kind == ValueKind.Enum))
            {
                string name = Naming.Identifier(a.WireName) + Naming.Identifier(p.WireName);
                var em = new EnumModel(Unique(typeNames, name), Members(p.Values!, name), a.WireName);
                model.ActionEnums.Add(em);
                p.Enum = em;
            }
        }
    }

    private static List<KeyValuePair<string, string>> Members(List<string> values, string typeName)
    {
        var used = new HashSet<string>(StringComparer.Ordinal) { typeName };
        var members = new List<KeyValuePair<string, string>>();
        var seenWire = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string v in values)
        {
            if (seenWire.Add(v))
            {
                members.Add(new KeyValuePair<string, string>(v, Reserve(used, Naming.EnumMember(v))));
            }
        }
        return members;
    }

    private static string Reserve(HashSet<string> used, string name)
    {
        string candidate = name;
        if (!used.Add(candidate))
        {
            candidate = name + "Value";
            for (int i = 2; !used.Add(candidate); i++)
            {
                candidate = name + "Value" + i.ToString(CultureInfo.InvariantCulture);
            }
        }
        return candidate;
    }

    private static string Unique(HashSet<string> typeNames, string name)
    {
        string candidate = name;
        for (int i = 2; !typeNames.Add(candidate); i++)
        {
            candidate = name + i.ToString(CultureInfo.InvariantCulture);
        }
        return candidate;
    }

    private static IEnumerable<Dictionary<string, object?>> Objects(Dictionary<string, object?> obj, string key)
    {
        if (obj.TryGetValue(key, out var v) && v is List<object?> list)
        {
            foreach (var item in list)
            {
                if (item is Dictionary<string, object?> d)
                {
                    yield return d;
                }
            }
        }
    }

    private static string? Str(Dictionary<string, object?> obj, string key) =>
        obj.TryGetValue(key, out var v) ? v switch
        {
            string s => s,
            double d => d.ToString(CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            _ => null,
        } : null;

    private static List<string> Strings(Dictionary<string, object?> obj, string key)
    {
        var result = new List<string>();
        if (obj.TryGetValue(key, out var v) && v is List<object?> list)
        {
            foreach (var item in list)
            {
                if (item is string s)
                {
                    result.Add(s);
                }
            }
        }
        return result;
    }
}

/// <summary>Identifier and documentation helpers.</summary>
internal static class Naming
{
    /// <summary>A PascalCase C# identifier from a wire name, keeping its casing: <c>Cause-txt</c> -&gt; <c>CauseTxt</c>.</summary>
    public static string Identifier(string wire)
    {
        var sb = new StringBuilder(wire.Length);
        bool upperNext = true;
        foreach (char c in wire)
        {
            if (c == '&')
            {
                sb.Append("And");
                upperNext = true;
            }
            else if (IsAsciiLetterOrDigit(c))
            {
                sb.Append(upperNext ? char.ToUpperInvariant(c) : c);
                upperNext = false;
            }
            else
            {
                upperNext = true;
            }
        }
        if (sb.Length == 0)
        {
            sb.Append("Value");
        }
        if (char.IsDigit(sb[0]))
        {
            sb.Insert(0, '_');
        }
        return sb.ToString();
    }

    /// <summary>An enum member name from a wire value; all-capital words become Pascal case (<c>NO ANSWER</c> -&gt; <c>NoAnswer</c>).</summary>
    public static string EnumMember(string wire)
    {
        var sb = new StringBuilder();
        var word = new StringBuilder();
        void Flush()
        {
            if (word.Length == 0)
            {
                return;
            }
            string w = word.ToString();
            bool allCaps = w.Length > 1 && w.Any(char.IsLetter) && !w.Any(char.IsLower);
            sb.Append(char.ToUpperInvariant(w[0]));
            sb.Append(allCaps ? w.Substring(1).ToLowerInvariant() : w.Substring(1));
            word.Clear();
        }
        foreach (char c in wire)
        {
            if (IsAsciiLetterOrDigit(c))
            {
                word.Append(c);
            }
            else
            {
                Flush();
                if (c == '&')
                {
                    sb.Append("And");
                }
            }
        }
        Flush();
        if (sb.Length == 0)
        {
            sb.Append("Empty");
        }
        if (char.IsDigit(sb[0]))
        {
            sb.Insert(0, '_');
        }
        return sb.ToString();
    }

    /// <summary>A camelCase parameter name, always escaped with @ so keywords are safe.</summary>
    public static string Parameter(string propertyName) =>
        "@" + char.ToLowerInvariant(propertyName[0]) + propertyName.Substring(1);

    /// <summary>True for enumerated values that read as names (not syntax descriptions such as <c>name(&lt;event_name&gt;)</c>).</summary>
    public static bool IsEnumToken(string value, bool allowSpaces)
    {
        if (value.Length == 0 || !IsAsciiLetter(value[0]))
        {
            return false;
        }
        foreach (char c in value)
        {
            if (!(IsAsciiLetterOrDigit(c) || c == '_' || c == '.' || c == '&' || c == '-' || (allowSpaces && c == ' ')))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Credentials: never printed.</summary>
    public static bool IsSecret(string name) =>
        name.Equals("Secret", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Key", StringComparison.OrdinalIgnoreCase)
        || name.IndexOf("Password", StringComparison.OrdinalIgnoreCase) >= 0
        || name.IndexOf("Secret", StringComparison.OrdinalIgnoreCase) >= 0;

    /// <summary>Placeholders for free-form headers (UserEvent's <c>Header1</c> ... <c>HeaderN</c>).</summary>
    public static bool IsFreeHeaderPlaceholder(string name)
    {
        if (!name.StartsWith("Header", StringComparison.Ordinal) || name.Length == 6)
        {
            return false;
        }
        string rest = name.Substring(6);
        return rest == "N" || rest.All(char.IsDigit);
    }

    /// <summary>Escapes text for XML documentation.</summary>
    public static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>A C# string literal.</summary>
    public static string Literal(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\r': sb.Append("\\r"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < ' ' || c > '~')
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }

    /// <summary>True when the string is printable ASCII (so a <c>"..."u8</c> literal has the same bytes as the wire).</summary>
    public static bool IsAscii(string s) => s.All(c => c >= ' ' && c <= '~');

    private static bool IsAsciiLetter(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

    private static bool IsAsciiLetterOrDigit(char c) => IsAsciiLetter(c) || (c >= '0' && c <= '9');
}
