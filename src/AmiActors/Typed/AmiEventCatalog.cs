using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace AmiActors;

/// <summary>
/// The typed events generated from the Asterisk catalog: event name to type and back. Names are case-insensitive.
/// The catalog may list one event several times (raised by several modules); each name has one type.
/// </summary>
public static partial class AmiEventCatalog
{
    // Declared first in this file: static initializers of one file run in order (the generated part only has CreateEntries).
    private static readonly (string Name, Type Type)[] s_entries = CreateEntries();

    private static readonly FrozenDictionary<string, Type> s_byName =
        s_entries.ToFrozenDictionary(e => e.Name, e => e.Type, StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<Type, string> s_byType = s_entries.ToFrozenDictionary(e => e.Type, e => e.Name);

    /// <summary>The number of typed event classes (distinct event names in the catalog).</summary>
    public static int Count => s_entries.Length;

    /// <summary>Every event name the catalog documents, in catalog order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(s_entries.Select(e => e.Name).ToArray());

    /// <summary>Where the catalog came from (Asterisk version and documentation source).</summary>
    public static string Source => CatalogSource;

    /// <summary>The typed class for an event name (case-insensitive).</summary>
    public static bool TryGetType(string name, [NotNullWhen(true)] out Type? type)
    {
        ArgumentNullException.ThrowIfNull(name);
        return s_byName.TryGetValue(name, out type);
    }

    /// <summary>The event name a typed class stands for, or null when <paramref name="type"/> is not a generated event class.</summary>
    public static string? GetEventName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return s_byType.TryGetValue(type, out var name) ? name : null;
    }
}

/// <summary>The typed actions generated from the Asterisk catalog: action name to type and back. Names are case-insensitive.</summary>
public static partial class AmiActionCatalog
{
    // Declared first in this file: static initializers of one file run in order (the generated part only has CreateEntries).
    private static readonly (string Name, Type Type)[] s_entries = CreateEntries();

    private static readonly FrozenDictionary<string, Type> s_byName =
        s_entries.ToFrozenDictionary(e => e.Name, e => e.Type, StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<Type, string> s_byType = s_entries.ToFrozenDictionary(e => e.Type, e => e.Name);

    /// <summary>The number of typed action classes.</summary>
    public static int Count => s_entries.Length;

    /// <summary>Every action name the catalog documents, in catalog order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(s_entries.Select(e => e.Name).ToArray());

    /// <summary>The typed class for an action name (case-insensitive).</summary>
    public static bool TryGetType(string name, [NotNullWhen(true)] out Type? type)
    {
        ArgumentNullException.ThrowIfNull(name);
        return s_byName.TryGetValue(name, out type);
    }

    /// <summary>The action name a typed class stands for, or null when <paramref name="type"/> is not a generated action class.</summary>
    public static string? GetActionName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return s_byType.TryGetValue(type, out var name) ? name : null;
    }
}
