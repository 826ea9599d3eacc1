using AmiActors.Protocol;

namespace AmiActors.TestKit;

/// <summary>Helpers to build event templates for <see cref="FakeAsteriskServer.FloodEventsAsync(FakeAmiSession?, ReadOnlyMemory{byte}, int, CancellationToken)"/>.</summary>
public static class FakeEventTemplates
{
    /// <summary>
    /// Extracts the events of a captured server stream (a fixture's <c>NAME.recv.txt</c>: banner, responses and events),
    /// in order, re-serialized in wire form with CRLF line ends. Banner and responses are left out.
    /// </summary>
    public static byte[] FromCapture(ReadOnlySpan<byte> capture)
    {
        var output = new MemoryStream(capture.Length);
        foreach (var message in AmiStreamDecoder.Decode(capture))
        {
            if (message.Kind == AmiMessageKind.Event)
            {
                output.Write(message.ToWireBytes());
            }
        }
        return output.ToArray();
    }

    /// <summary>Reads a capture file and extracts its events (see <see cref="FromCapture"/>).</summary>
    public static byte[] FromCaptureFile(string path) => FromCapture(File.ReadAllBytes(path));

    /// <summary>Serializes messages into one template (each frame in wire form).</summary>
    public static byte[] FromMessages(IEnumerable<AmiMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var output = new MemoryStream();
        foreach (var m in messages)
        {
            output.Write(m.ToWireBytes());
        }
        return output.ToArray();
    }
}
