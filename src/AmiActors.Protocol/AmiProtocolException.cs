namespace AmiActors.Protocol;

/// <summary>Why the parser rejected part of the byte stream.</summary>
public enum AmiProtocolErrorCode
{
    /// <summary>A frame grew past the configured maximum frame size; its bytes were discarded up to the next blank line.</summary>
    FrameTooLarge = 1,
    /// <summary>The stream ended in the middle of a frame.</summary>
    TruncatedFrame = 2,
}

/// <summary>A protocol error reported by <see cref="AmiParser"/>. Carries sizes and positions, never payload bytes.</summary>
/// <param name="Code">What went wrong.</param>
/// <param name="Detail">A human-readable explanation.</param>
/// <param name="StreamOffset">Offset in the byte stream (bytes fed so far) where the offending frame started.</param>
public readonly record struct AmiProtocolError(AmiProtocolErrorCode Code, string Detail, long StreamOffset)
{
    /// <inheritdoc />
    public override string ToString() => $"{Code} at stream offset {StreamOffset}: {Detail}";
}

/// <summary>Thrown where a protocol error cannot be returned as a value (for example by <see cref="AmiStreamDecoder"/> without an error handler).</summary>
public sealed class AmiProtocolException : Exception
{
    /// <summary>Creates the exception from a parser error.</summary>
    public AmiProtocolException(AmiProtocolError error) : base(error.ToString()) => Error = error;

    /// <summary>The parser error.</summary>
    public AmiProtocolError Error { get; }
}
