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
    private static readonly CatalogMap s_map = new(CreateEntries());

    /// <summary>The number of typed event classes (distinct event names in the catalog).</summary>
    public static int Count => s_map.Names.Count;

    /// <summary>Every event name the catalog documents, in catalog order.</summary>
    public static IReadOnlyList<string> Names => s_map.Names;

    /// <summary>Where the catalog came from (Asterisk version and documentation source).</summary>
    public static string Source => CatalogSource;

    /// <summary>The typed class for an event name (case-insensitive).</summary>
    public static bool TryGetType(string name, [NotNullWhen(true)] out Type? type)
    {
        return s_map.TryGetType(name, out type);
    }

    /// <summary>The event name a typed class stands for, or null when <paramref name="type"/> is not a generated event class.</summary>
    public static string? GetEventName(Type type) => s_map.GetName(type);
}

/// <summary>The typed actions generated from the Asterisk catalog: action name to type and back. Names are case-insensitive.</summary>
public static partial class AmiActionCatalog
{
    // Declared first in this file: static initializers of one file run in order (the generated part only has CreateEntries).
    private static readonly CatalogMap s_map = new(CreateEntries());

    /// <summary>The number of typed action classes.</summary>
    public static int Count => s_map.Names.Count;

    /// <summary>Every action name the catalog documents, in catalog order.</summary>
    public static IReadOnlyList<string> Names => s_map.Names;

    /// <summary>The typed class for an action name (case-insensitive).</summary>
    public static bool TryGetType(string name, [NotNullWhen(true)] out Type? type)
    {
        return s_map.TryGetType(name, out type);
    }

    /// <summary>The action name a typed class stands for, or null when <paramref name="type"/> is not a generated action class.</summary>
    public static string? GetActionName(Type type) => s_map.GetName(type);
}

/// <summary>A catalog's name-to-type map (case-insensitive) and its inverse.</summary>
internal sealed class CatalogMap
{
    private readonly FrozenDictionary<string, Type> _byName;
    private readonly FrozenDictionary<Type, string> _byType;

    public CatalogMap((string Name, Type Type)[] entries)
    {
        _byName = entries.ToFrozenDictionary(e => e.Name, e => e.Type, StringComparer.OrdinalIgnoreCase);
        _byType = entries.ToFrozenDictionary(e => e.Type, e => e.Name);
        Names = Array.AsReadOnly(entries.Select(e => e.Name).ToArray());
    }

    public IReadOnlyList<string> Names { get; }

    public bool TryGetType(string name, [NotNullWhen(true)] out Type? type)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out type);
    }

    public string? GetName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return _byType.TryGetValue(type, out var name) ? name : null;
    }
}
