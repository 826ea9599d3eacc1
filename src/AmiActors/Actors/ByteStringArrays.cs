using System.Runtime.CompilerServices;
using Akka.IO;

namespace AmiActors.Actors;

/// <summary>
/// Reaches the array behind an Akka.IO <see cref="ByteString"/>, which has no public accessor, so that the
/// parser can reference a read instead of copying it (<c>ami.connection.share-read-buffers</c>).
/// </summary>
/// <remarks>
/// Reads the private field <c>ArraySegment&lt;byte&gt;[] _buffers</c> of Akka 1.5. Only a compact ByteString with
/// exactly one segment qualifies. Should a later Akka lay the type out differently, the first call catches the
/// <see cref="MissingFieldException"/>, remembers it and every call answers false (the copying path).
/// </remarks>
internal static class ByteStringArrays
{
    private static volatile bool _unavailable;

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_buffers")]
    private static extern ref ArraySegment<byte>[] Buffers(ByteString data);

    /// <summary>True while the field is reachable (false once it was found missing).</summary>
    internal static bool Available => !_unavailable;

    /// <summary>The single array segment holding <paramref name="data"/>'s bytes, when there is exactly one.</summary>
    internal static bool TryGetSegment(ByteString data, out ArraySegment<byte> segment)
    {
        segment = default;
        if (_unavailable || !data.IsCompact || data.IsEmpty)
        {
            return false;
        }
        ArraySegment<byte>[] buffers;
        try
        {
            buffers = Buffers(data);
        }
        catch (MissingFieldException)
        {
            _unavailable = true;
            return false;
        }
        if (buffers is not { Length: 1 } || buffers[0].Array is null || buffers[0].Count != data.Count)
        {
            return false;
        }
        segment = buffers[0];
        return true;
    }
}
