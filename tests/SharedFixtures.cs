namespace AmiActors.Testing;

/// <summary>
/// Finds <c>../shared</c> beside the repository root (the captured Asterisk fixtures and the catalog), from the test or
/// benchmark binary's directory or, for tools that run it from a generated copy (BenchmarkDotNet), the working directory.
/// Linked into every test and benchmark project that reads the fixtures.
/// </summary>
internal static class SharedFixtures
{
    private static readonly Lazy<string> s_root = new(Find);

    /// <summary>The full path of <c>../shared</c>.</summary>
    public static string Root => s_root.Value;

    /// <summary>The full path of a capture in <c>fixtures/asterisk-22</c>.</summary>
    public static string Fixture(string name) => Path.Combine(Root, "fixtures", "asterisk-22", name);

    private static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "..", "shared");
                if (File.Exists(Path.Combine(dir.FullName, "AmiActors.sln")) && Directory.Exists(candidate))
                {
                    return Path.GetFullPath(candidate);
                }
            }
        }
        throw new DirectoryNotFoundException("../shared next to the repository root was not found");
    }
}
