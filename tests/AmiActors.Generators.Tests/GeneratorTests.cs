using System.Collections.Immutable;
using System.Text;
using AmiActors.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace AmiActors.Generators.Tests;

/// <summary>Runs the generator itself on small catalogs.</summary>
public class GeneratorTests
{
    [Fact]
    public void A_malformed_catalog_is_reported_with_its_line_and_nothing_is_generated()
    {
        var (diagnostics, sources) = Run(("ami-catalog-bad.json", "{\n \"actions\": [ { \"name\": \"Ping\", } ]\n}"));
        var error = Assert.Single(diagnostics);
        Assert.Equal("AMIGEN001", error.Id);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Contains("line 2", error.GetMessage());
        Assert.Empty(sources);
    }

    [Fact]
    public void Without_a_catalog_the_generator_warns()
    {
        var (diagnostics, sources) = Run();
        Assert.Equal("AMIGEN002", Assert.Single(diagnostics).Id);
        Assert.Empty(sources);
    }

    [Fact]
    public void A_newer_catalog_is_a_data_change_later_files_override_and_add_entries()
    {
        const string older = """{"source":"old","actions":[{"name":"Ping","parameters":[{"name":"ActionID"}]}],"events":[{"name":"Hangup","fields":[{"name":"Channel"}]}]}""";
        const string newer = """{"source":"new","actions":[{"name":"Ping","parameters":[{"name":"Flavour","required":true}]},{"name":"Zap","parameters":[]}],"events":[{"name":"Hangup","fields":[{"name":"Channel"},{"name":"Cause"}]},{"name":"Brand-New","fields":[{"name":"Level","values":["Low","High"]}]}]}""";
        var (diagnostics, sources) = Run(("ami-catalog-asterisk-22.json", older), ("ami-catalog-asterisk-23.json", newer));
        Assert.Empty(diagnostics);
        string actions = sources["AmiActions.g.cs"];
        Assert.Contains("public PingAction(string @flavour)", actions);
        Assert.Contains("public sealed record ZapAction", actions);
        string events = sources["AmiEvents.g.cs"];
        Assert.Contains("public string? Cause => Event.Get(\"Cause\");", events);
        Assert.Contains("public sealed record BrandNewEvent", events);
        Assert.Contains("public BrandNewLevel? Level", events);
        Assert.Contains("\"Brand-New\"u8", sources["AmiCatalogs.g.cs"]);
    }

    private static (ImmutableArray<Diagnostic> Diagnostics, Dictionary<string, string> Sources) Run(params (string Name, string Text)[] files)
    {
        var compilation = CSharpCompilation.Create("probe", [], [], new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new AmiTypesGenerator().AsSourceGenerator()],
            files.Select(f => (AdditionalText)new InMemoryText("/catalog/" + f.Name, f.Text)));
        driver = driver.RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();
        return (result.Diagnostics, result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString()));
    }

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text, Encoding.UTF8);
    }
}
