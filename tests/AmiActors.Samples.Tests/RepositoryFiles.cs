namespace AmiActors.Samples.Tests;

/// <summary>Finds the repository's files from the test binary.</summary>
internal static class RepositoryFiles
{
    /// <summary>The repository's root: three levels above tests/fixtures/asterisk-22, which the linked finder locates.</summary>
    public static string Root { get; } = Path.GetFullPath(Path.Combine(AmiActors.Testing.CapturedFixtures.Directory, "..", "..", ".."));

    /// <summary>README.md and every Markdown file under docs/.</summary>
    public static IEnumerable<string> Documents()
    {
        yield return Path.Combine(Root, "README.md");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return file;
        }
    }

    /// <summary>The folders whose compiled code documentation may show: samples/ and the examples run as tests here.</summary>
    public static string[] SampleFolders => [Path.Combine(Root, "samples"), Path.Combine(Root, "tests", "AmiActors.Samples.Tests", "Examples")];

    /// <summary>The sample sources with one of the extensions (".cs"), outside bin/ and obj/.</summary>
    public static IEnumerable<string> SampleFiles(params string[] extensions) =>
        SampleFolders.SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Where(f => extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Where(f => !Relative(f).Split('/').Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal);

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');
}
