namespace AmiActors.Samples.Tests;

/// <summary>
/// Every C# block of README.md and docs/*.md is compiled code: it must stand, line for line, in a file of samples/
/// (or of this project's Examples/, run as tests), which the solution builds (warnings are errors). A sample that stops compiling fails the build; a document that
/// drifts from the samples fails here.
/// </summary>
public class DocSnippetTests
{
    private static readonly Lazy<Dictionary<string, List<string>>> s_csharp = new(() => DocSnippets.Load(RepositoryFiles.SampleFiles(".cs")));

    public static TheoryData<string> Documents()
    {
        var data = new TheoryData<string>();
        foreach (var document in RepositoryFiles.Documents())
        {
            data.Add(RepositoryFiles.Relative(document));
        }
        return data;
    }

    private static List<CodeBlock> BlocksOf(string document) =>
        DocSnippets.Blocks(document, File.ReadAllText(Path.Combine(RepositoryFiles.Root, document)));

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_CSharp_block_of_the_document_is_compiled_sample_code(string document)
    {
        var problems = BlocksOf(document)
            .Where(b => DocSnippets.CSharpLanguages.Contains(b.Language))
            .Select(b => (Block: b, Problem: DocSnippets.FindIn(b, s_csharp.Value)))
            .Where(x => x.Problem is not null)
            .Select(x => $"{x.Block}: {x.Problem}")
            .ToList();
        Assert.True(problems.Count == 0, "C# in the documentation that no compiled sample contains (put it in samples/ or copy it from there):\n" + string.Join('\n', problems));
    }

    [Fact]
    public void The_using_guide_copies_the_minimal_host_sample_files_and_its_configuration()
    {
        var blocks = BlocksOf("docs/using.md");
        Assert.True(blocks.Count(b => DocSnippets.CSharpLanguages.Contains(b.Language)) >= 10, "docs/using.md shows the samples");
        // The whole of each file of the minimal host is in the guide, not just a part of it.
        foreach (var file in new[] { "Program.cs", "CallTracker.cs", "HangupLog.cs", "Dialer.cs" })
        {
            var whole = DocSnippets.Normalize(File.ReadAllLines(Path.Combine(RepositoryFiles.Root, "samples", "AmiActors.Samples.MinimalHost", file)));
            Assert.Contains(blocks, b => DocSnippets.Normalize(b.Text).SequenceEqual(whole));
        }
        // The configuration and the package list shown are the sample's own.
        var json = Path.Combine(RepositoryFiles.Root, "samples", "AmiActors.Samples.MinimalHost", "appsettings.json");
        Assert.Contains(blocks, b => b.Language == "json" && DocSnippets.Normalize(b.Text).SequenceEqual(DocSnippets.Normalize(File.ReadAllLines(json))));
        // Every package the sample references is in the guide's list, with AmiActors.Hosting in place of the project reference.
        string csproj = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "samples", "AmiActors.Samples.MinimalHost", "AmiActors.Samples.MinimalHost.csproj"));
        var packages = System.Text.RegularExpressions.Regex.Matches(csproj, "<PackageReference Include=\"([^\"]+)\"").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains("AmiActors.Hosting", packages);
        Assert.True(packages.Count >= 4, string.Join(", ", packages));
        var added = blocks.Where(b => b.Language == "bash").SelectMany(b => b.Text)
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\s*dotnet add package (\S+)"))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(packages.Order(), added.Order());
    }

    [Fact]
    public void A_block_that_differs_by_one_character_from_the_samples_is_reported()
    {
        var files = new Dictionary<string, List<string>> { ["samples/A.cs"] = DocSnippets.Normalize(["class A", "{", "    int X => 1;", "}"]) };
        Assert.Null(DocSnippets.FindIn(new CodeBlock("d.md", 1, "csharp", ["  int X => 1;", "", "}"]), files));
        Assert.Null(DocSnippets.FindIn(new CodeBlock("d.md", 1, "csharp", ["int  X =>   1;"]), files));
        string? problem = DocSnippets.FindIn(new CodeBlock("d.md", 1, "csharp", ["int X => 2;"]), files);
        Assert.Equal("its first line `int X => 2;` is in no sample file", problem);
        problem = DocSnippets.FindIn(new CodeBlock("d.md", 1, "csharp", ["{", "int X => 1;", "int Y => 2;"]), files);
        Assert.Equal("2 of its 3 lines match samples/A.cs; then `int Y => 2;` differs or is missing", problem);
    }

    [Fact]
    public void Fenced_blocks_are_found_with_their_language_and_line()
    {
        const string markdown = "# T\n\n```csharp\nvar a = 1;\n```\ntext\n````cs\n```\ninner\n````\n~~~json\n{}\n~~~\n";
        var blocks = DocSnippets.Blocks("d.md", markdown);
        Assert.Equal(["d.md:3 (csharp)", "d.md:7 (cs)", "d.md:11 (json)"], blocks.Select(b => b.ToString()));
        Assert.Equal(["```", "inner"], blocks[1].Text);
    }
}
