using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace AmiActors.Generators;

/// <summary>
/// Generates typed AMI actions (<c>AmiActors.Actions</c>), typed events (<c>AmiActors.Events</c>), their enumerations,
/// the action/event catalogs and the event router's name lookup from the catalog JSON passed as
/// <c>AdditionalFiles</c> (<c>ami-catalog-*.json</c>, several are merged in file-name order, later entries win)
/// and the optional <c>ami-type-hints.json</c> (which documented values are numbers or booleans).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class AmiTypesGenerator : IIncrementalGenerator
{
    private static readonly DiagnosticDescriptor BadInput = new(
        "AMIGEN001", "Invalid AMI catalog", "AMI catalog '{0}' could not be read: {1}", "AmiActors.Generators",
        DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor NoCatalog = new(
        "AMIGEN002", "No AMI catalog", "No ami-catalog-*.json was passed as AdditionalFiles; no typed actions or events were generated", "AmiActors.Generators",
        DiagnosticSeverity.Warning, isEnabledByDefault: true);

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var files = context.AdditionalTextsProvider
            .Where(f => IsCatalog(f.Path) || IsHints(f.Path))
            .Select((f, ct) => new InputFile(Path.GetFileName(f.Path), IsHints(f.Path), f.GetText(ct)?.ToString() ?? ""))
            .Collect();
        context.RegisterSourceOutput(files, Generate);
    }

    private static bool IsCatalog(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith("ami-catalog-", StringComparison.OrdinalIgnoreCase) && name.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsHints(string path) => string.Equals(Path.GetFileName(path), "ami-type-hints.json", StringComparison.OrdinalIgnoreCase);

    private static void Generate(SourceProductionContext context, ImmutableArray<InputFile> files)
    {
        var catalogs = new List<KeyValuePair<string, object?>>();
        TypeHints hints = TypeHints.Parse(null);
        foreach (var file in files.OrderBy(f => f.Name, StringComparer.OrdinalIgnoreCase))
        {
            try
            {
                var json = JsonReader.Parse(file.Text);
                if (file.IsHints)
                {
                    hints = TypeHints.Parse(json);
                }
                else
                {
                    catalogs.Add(new KeyValuePair<string, object?>(file.Name, json));
                }
            }
            catch (FormatException ex)
            {
                context.ReportDiagnostic(Diagnostic.Create(BadInput, Location.None, file.Name, ex.Message));
                return;
            }
        }
        if (catalogs.Count == 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(NoCatalog, Location.None));
            return;
        }
        CatalogModel model;
        try
        {
            model = CatalogBuilder.Build(catalogs, hints);
        }
        catch (FormatException ex)
        {
            context.ReportDiagnostic(Diagnostic.Create(BadInput, Location.None, string.Join(", ", catalogs.Select(c => c.Key)), ex.Message));
            return;
        }
        context.AddSource("AmiEvents.g.cs", SourceText.From(Emitter.Events(model), Encoding.UTF8));
        context.AddSource("AmiEnums.g.cs", SourceText.From(Emitter.Enums(model), Encoding.UTF8));
        context.AddSource("AmiActions.g.cs", SourceText.From(Emitter.Actions(model), Encoding.UTF8));
        context.AddSource("AmiCatalogs.g.cs", SourceText.From(Emitter.Catalogs(model), Encoding.UTF8));
    }

    private sealed class InputFile : IEquatable<InputFile>
    {
        public InputFile(string name, bool isHints, string text)
        {
            Name = name;
            IsHints = isHints;
            Text = text;
        }

        public string Name { get; }

        public bool IsHints { get; }

        public string Text { get; }

        public bool Equals(InputFile? other) => other is not null && Name == other.Name && IsHints == other.IsHints && Text == other.Text;

        public override bool Equals(object? obj) => Equals(obj as InputFile);

        public override int GetHashCode() => (Name.GetHashCode() * 31) ^ Text.Length;
    }
}
