namespace AmiActors.Protocol;

/// <summary>
/// One header line of an AMI message, as received or to be sent.
/// </summary>
/// <param name="Name">The header name (empty for a received line that had no colon).</param>
/// <param name="Value">The header value (the whole line for a line without a colon).</param>
public readonly record struct AmiHeader(string Name, string Value)
{
    /// <summary>True when the received line had no colon and therefore no name.</summary>
    public bool IsBareLine => Name.Length == 0;

    /// <summary>Prints <c>Name: Value</c>; the value of a credential header (<see cref="AmiAction.IsSecretHeader"/>) is printed as <c>***</c>.</summary>
    public override string ToString() => IsBareLine ? Value : AmiAction.IsSecretHeader(Name) ? $"{Name}: ***" : $"{Name}: {Value}";
}

/// <summary>What kind of frame an <see cref="AmiMessage"/> is.</summary>
public enum AmiMessageKind
{
    /// <summary>A frame with neither an <c>Event</c> nor a <c>Response</c> header.</summary>
    Unknown = 0,
    /// <summary>A frame with an <c>Event</c> header (decided before <c>Response</c>: OriginateResponse carries both).</summary>
    Event = 1,
    /// <summary>A frame with a <c>Response</c> header and no <c>Event</c> header.</summary>
    Response = 2,
    /// <summary>The single banner line the server writes on accept (<c>Asterisk Call Manager/11.0.0</c>).</summary>
    Banner = 3,
    /// <summary>A frame with an <c>Action</c> header and neither <c>Event</c> nor <c>Response</c> (what a client sends; seen by servers and in captures).</summary>
    Action = 4,
}
