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

    [Fact]
    public void Hints_make_a_duration_parameter_a_TimeSpan_and_give_a_typed_parameter_a_raw_companion()
    {
        const string catalog = """{"source":"t","actions":[{"name":"Dial","parameters":[{"name":"Channel","required":true},{"name":"Priority"},{"name":"Timeout"},{"name":"Wait"}]}],"events":[]}""";
        const string hints = """{"actionParameters":{"milliseconds":["Dial.Timeout"],"int":["Dial.Priority","Wait"]},"rawActionParameters":["Dial.Priority","Dial.Timeout"]}""";
        var (diagnostics, sources) = Run(("ami-catalog-asterisk-22.json", catalog), ("ami-type-hints.json", hints));
        Assert.Empty(diagnostics);
        string actions = sources["AmiActions.g.cs"];
        Assert.Contains("public global::System.TimeSpan? Timeout { get; init; }", actions);
        Assert.Contains("public string? TimeoutRaw { get; init; }", actions);
        Assert.Contains("public int? Priority { get; init; }", actions);
        Assert.Contains("public string? PriorityRaw { get; init; }", actions);
        Assert.Contains("public int? Wait { get; init; }", actions);
        Assert.DoesNotContain("WaitRaw", actions);
        Assert.Contains("Set Priority or PriorityRaw, not both.", actions);
    }

    [Fact]
    public void A_milliseconds_hint_on_an_event_field_is_reported()
    {
        const string catalog = """{"source":"t","actions":[],"events":[{"name":"Hangup","fields":[{"name":"Duration"}]}]}""";
        const string hints = """{"eventFields":{"milliseconds":["Hangup.Duration"]}}""";
        var (diagnostics, sources) = Run(("ami-catalog-asterisk-22.json", catalog), ("ami-type-hints.json", hints));
        var error = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Contains("unknown kind 'milliseconds'", error.GetMessage());
        Assert.Empty(sources);
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
