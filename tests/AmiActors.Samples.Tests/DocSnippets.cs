using System.Text.RegularExpressions;

namespace AmiActors.Samples.Tests;

/// <summary>A fenced code block of a Markdown document.</summary>
/// <param name="Document">The document, relative to the repository root.</param>
/// <param name="Line">The 1-based line of the opening fence.</param>
/// <param name="Language">The fence's info string (first word, lower case).</param>
/// <param name="Text">The block's lines.</param>
public sealed record CodeBlock(string Document, int Line, string Language, IReadOnlyList<string> Text)
{
    public override string ToString() => $"{Document}:{Line} ({Language})";
}

/// <summary>
/// Keeps documentation code honest: a code block must appear, line for line, in a compiled sample file. Lines are
/// compared with their surrounding white space trimmed, runs of white space folded and blank lines ignored, so a block
/// may be indented or aligned differently or show a part of a file, but it cannot differ by a character of code.
/// </summary>
public static partial class DocSnippets
{
    public static readonly string[] CSharpLanguages = ["csharp", "cs", "c#"];

    [GeneratedRegex(@"^\s*(`{3,}|~{3,})\s*([^\s`]*)")]
    private static partial Regex Fence();

    /// <summary>Every fenced block of a Markdown text.</summary>
    public static List<CodeBlock> Blocks(string document, string markdown)
    {
        var blocks = new List<CodeBlock>();
        var lines = markdown.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }
            string fence = open.Groups[1].Value;
            var body = new List<string>();
            int j = i + 1;
            while (j < lines.Length && !(lines[j].TrimStart().StartsWith(fence, StringComparison.Ordinal) && lines[j].Trim().Trim(fence[0]).Length == 0))
            {
                body.Add(lines[j]);
                j++;
            }
            blocks.Add(new CodeBlock(document, i + 1, open.Groups[2].Value.ToLowerInvariant(), body));
            i = j;
        }
        return blocks;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    /// <summary>The lines that are compared: trimmed, runs of white space as one space (aligned comments), blank ones dropped.</summary>
    public static List<string> Normalize(IEnumerable<string> lines) =>
        lines.Select(l => WhiteSpace().Replace(l.Trim(), " ")).Where(l => l.Length > 0).ToList();

    /// <summary>
    /// Null when the block stands, line for line, in one of the files; otherwise why not: the longest run of its lines found
    /// in one file and the first line that breaks it.
    /// </summary>
    public static string? FindIn(CodeBlock block, IReadOnlyDictionary<string, List<string>> files)
    {
        var wanted = Normalize(block.Text);
        if (wanted.Count == 0)
        {
            return "the block is empty";
        }
        int best = 0;
        string? bestFile = null;
        foreach (var (file, lines) in files)
        {
            for (int start = 0; start < lines.Count; start++)
            {
                int n = 0;
                while (n < wanted.Count && start + n < lines.Count && lines[start + n] == wanted[n])
                {
                    n++;
                }
                if (n == wanted.Count)
                {
                    return null;
                }
                if (n > best)
                {
                    best = n;
                    bestFile = file;
                }
            }
        }
        return bestFile is null
            ? $"its first line `{wanted[0]}` is in no sample file"
            : $"{best} of its {wanted.Count} lines match {bestFile}; then `{wanted[best]}` differs or is missing";
    }

    /// <summary>The sample files' normalized lines, by path relative to the repository.</summary>
    public static Dictionary<string, List<string>> Load(IEnumerable<string> paths) =>
        paths.ToDictionary(RepositoryFiles.Relative, p => Normalize(File.ReadAllLines(p)), StringComparer.Ordinal);
}
