namespace AmiActors.Protocol;

/// <summary>Anything that can be sent as an AMI action: the generic <see cref="AmiAction"/> and the typed actions.</summary>
public interface IAmiAction
{
    /// <summary>The action name (the value of the <c>Action:</c> header).</summary>
    string ActionName { get; }

    /// <summary>The generic, serializable form of this action.</summary>
    AmiAction ToAmiAction();
}

/// <summary>
/// An AMI action: a name and ordered, possibly repeated headers. Immutable; <see cref="With"/> returns a copy.
/// The <c>ActionID</c> is assigned when the action is sent, not stored here.
/// </summary>
public sealed record AmiAction : IAmiAction
{
    private static readonly string[] SecretNames = ["Secret", "Key", "Password"];

    /// <summary>Creates an action with the given name and headers.</summary>
    public AmiAction(string name, IEnumerable<AmiHeader>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Headers = headers is null ? Array.Empty<AmiHeader>() : headers.ToArray();
    }

    /// <summary>Creates an action with the given name and <c>(name, value)</c> headers.</summary>
    public AmiAction(string name, params (string Name, string Value)[] headers)
        : this(name, headers.Select(h => new AmiHeader(h.Name, h.Value)))
    {
    }

    /// <summary>The action name.</summary>
    public string Name { get; }

    /// <summary>The headers after <c>Action:</c>, in order; repeated names are written as separate lines.</summary>
    public IReadOnlyList<AmiHeader> Headers { get; }

    /// <inheritdoc />
    string IAmiAction.ActionName => Name;

    /// <inheritdoc />
    public AmiAction ToAmiAction() => this;

    /// <summary>A copy of this action with one more header appended.</summary>
    public AmiAction With(string name, string value) => new(Name, Headers.Append(new AmiHeader(name, value)));

    /// <summary>A copy of this action with one header appended per value (for repeated headers such as <c>Variable</c>).</summary>
    public AmiAction WithAll(string name, IEnumerable<string> values) => new(Name, Headers.Concat(values.Select(v => new AmiHeader(name, v))));

    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Get(string name)
    {
        foreach (var h in Headers)
        {
            if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return h.Value;
            }
        }
        return null;
    }

    /// <summary>True for header names whose values are credentials and must never be printed.</summary>
    public static bool IsSecretHeader(string name) =>
        Array.Exists(SecretNames, s => string.Equals(s, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Prints the action name and header names; values are never printed (they may be secrets).</summary>
    public override string ToString() =>
        Headers.Count == 0 ? $"AmiAction({Name})" : $"AmiAction({Name}: {string.Join(", ", Headers.Select(h => h.Name))})";

    /// <inheritdoc />
    public bool Equals(AmiAction? other) =>
        other is not null && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase) && Headers.SequenceEqual(other.Headers);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(Name), Headers.Count);
}
