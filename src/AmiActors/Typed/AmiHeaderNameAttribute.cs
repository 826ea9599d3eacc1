namespace AmiActors;

/// <summary>
/// Marks a generated property of a typed event or action with the AMI header it reads or writes, exactly as the
/// catalog spells it (<c>Cause-txt</c>, <c>Variable</c>, <c>Cat-000000</c>). For tools that map headers by reflection.
/// </summary>
/// <param name="name">The header name.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class AmiHeaderNameAttribute(string name) : Attribute
{
    /// <summary>The header name as documented.</summary>
    public string Name { get; } = name;
}
