using System.Text.Json;
using AmiActors.Protocol;

namespace AmiActors.Generators.Tests;

/// <summary>Locates the captured fixtures and reads the catalog the generator was fed.</summary>
internal static class Shared
{
    private static readonly Lazy<JsonDocument> s_catalog = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "AmiActors", "Typed", "ami-catalog-asterisk-22.json"))));

    public static JsonElement Catalog => s_catalog.Value.RootElement;

    public static string Fixture(string name) => AmiActors.Testing.CapturedFixtures.Fixture(name);

    public static List<AmiMessage> Decode(string fixture) =>
        AmiStreamDecoder.Decode(File.ReadAllBytes(Fixture(fixture)));

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AmiActors.sln")))
            {
                return dir.FullName;
            }
            dir = dir.Parent;
        }
        throw new DirectoryNotFoundException("AmiActors.sln was not found above the test binary");
    }

    /// <summary>Catalog entries (events or actions) grouped by name, case-insensitively, in catalog order.</summary>
    public static List<(string Name, List<JsonElement> Entries)> Grouped(string section)
    {
        var result = new List<(string Name, List<JsonElement> Entries)>();
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in Catalog.GetProperty(section).EnumerateArray())
        {
            string name = e.GetProperty("name").GetString()!;
            if (index.TryGetValue(name, out int i))
            {
                result[i].Entries.Add(e);
            }
            else
            {
                index[name] = result.Count;
                result.Add((name, [e]));
            }
        }
        return result;
    }

    public static IEnumerable<JsonElement> Items(JsonElement entry, string key) =>
        entry.TryGetProperty(key, out var list) ? list.EnumerateArray() : [];
}
