namespace AmiActors.Samples.Tests;

/// <summary>Finds the repository's files from the test binary.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> s_root = new(() =>
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
    });

    public static string Root => s_root.Value;

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
