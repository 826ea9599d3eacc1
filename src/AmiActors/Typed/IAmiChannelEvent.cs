namespace AmiActors;

/// <summary>
/// A typed event that carries a channel snapshot (the unprefixed <c>Channel</c>, <c>Uniqueid</c>, ... fields the catalog
/// documents for most call events), so code can handle channels without knowing the event type:
/// <c>if (e is IAmiChannelEvent c) Track(c.Uniqueid, c.ChannelState);</c>
/// </summary>
public interface IAmiChannelEvent
{
    /// <summary>The <c>Channel</c> header.</summary>
    string? Channel { get; }

    /// <summary>The <c>ChannelState</c> header as a number (6 = Up), or null.</summary>
    int? ChannelState { get; }

    /// <summary>The <c>ChannelStateDesc</c> header (Up, Ring, Ringing, Down, ...).</summary>
    string? ChannelStateDesc { get; }

    /// <summary>The <c>CallerIDNum</c> header.</summary>
    string? CallerIDNum { get; }

    /// <summary>The <c>CallerIDName</c> header.</summary>
    string? CallerIDName { get; }

    /// <summary>The <c>ConnectedLineNum</c> header.</summary>
    string? ConnectedLineNum { get; }

    /// <summary>The <c>ConnectedLineName</c> header.</summary>
    string? ConnectedLineName { get; }

    /// <summary>The <c>Language</c> header.</summary>
    string? Language { get; }

    /// <summary>The <c>AccountCode</c> header.</summary>
    string? AccountCode { get; }

    /// <summary>The <c>Context</c> header.</summary>
    string? Context { get; }

    /// <summary>The <c>Exten</c> header.</summary>
    string? Exten { get; }

    /// <summary>The <c>Priority</c> header as a number, or null.</summary>
    int? Priority { get; }

    /// <summary>The <c>Uniqueid</c> header.</summary>
    string? Uniqueid { get; }

    /// <summary>The <c>Linkedid</c> header.</summary>
    string? Linkedid { get; }
}
