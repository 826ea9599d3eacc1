namespace AmiActors.Protocol;

/// <summary>
/// The arrays that the line indexes of shared messages are carved from: one array serves many messages, so a
/// message's index costs its own bytes instead of an array of its own. A region is written once, before its
/// message is published, and never reused; an array stays alive while any message that uses it does.
/// </summary>
internal sealed class IndexSlab
{
    private const int SlabSize = 4096;
    private byte[] _array = [];
    private int _used;

    public (byte[] Array, int Offset) Take(int bytes)
    {
        if (bytes > SlabSize / 4)
        {
            return (new byte[bytes], 0);
        }
        if (_used + bytes > _array.Length)
        {
            _array = GC.AllocateUninitializedArray<byte>(SlabSize);
            _used = 0;
        }
        int offset = _used;
        _used += (bytes + 1) & ~1;
        return (_array, offset);
    }
}
