namespace AmiActors.Testing;

/// <summary>
/// Finds the captured Asterisk 22.10.1 transcripts in <c>tests/fixtures/asterisk-22</c> of this repository, from the test
/// or benchmark binary's directory or, for tools that run it from a generated copy (BenchmarkDotNet), the working
/// directory. Linked into every test and benchmark project that reads the fixtures.
/// </summary>
internal static class CapturedFixtures
{
    private static readonly Lazy<string> s_directory = new(Find);

    /// <summary>The full path of <c>tests/fixtures/asterisk-22</c>.</summary>
    public static string Directory => s_directory.Value;

    /// <summary>The full path of one capture in <c>tests/fixtures/asterisk-22</c>.</summary>
    public static string Fixture(string name) => Path.Combine(Directory, name);

    private static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, System.IO.Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "asterisk-22");
                if (File.Exists(Path.Combine(dir.FullName, "AmiActors.sln")) && System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new DirectoryNotFoundException(
            "tests/fixtures/asterisk-22 was not found above " + AppContext.BaseDirectory + " (run from a checkout of the repository)");
    }
}
