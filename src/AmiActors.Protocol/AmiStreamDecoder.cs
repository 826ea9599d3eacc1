using System.Runtime.CompilerServices;

namespace AmiActors.Protocol;

/// <summary>
/// Decodes a byte stream (a socket capture, a file, standard input) into AMI messages.
/// With no options the banner is auto-detected: a stream starting with <c>Asterisk Call Manager/</c>
/// yields a banner message first; any other stream is parsed as frames from its first byte.
/// </summary>
public static class AmiStreamDecoder
{
    private const int ChunkSize = 64 * 1024;
    private static ReadOnlySpan<byte> BannerPrefix => "Asterisk Call Manager/"u8;

    /// <summary>Decodes a whole buffer.</summary>
    /// <param name="bytes">The captured bytes.</param>
    /// <param name="options">Parser options; null to auto-detect the banner.</param>
    /// <param name="onError">Receives protocol errors; when null they throw <see cref="AmiProtocolException"/>.</param>
    public static List<AmiMessage> Decode(ReadOnlySpan<byte> bytes, AmiParserOptions? options = null, Action<AmiProtocolError>? onError = null)
    {
        var parser = new AmiParser(options ?? Detect(bytes));
        var result = new List<AmiMessage>();
        var input = bytes;
        Drain(parser, ref input, result, onError);
        Finish(parser, onError);
        return result;
    }

    /// <summary>Decodes a stream lazily, reading it in 64 KiB chunks.</summary>
    public static IEnumerable<AmiMessage> Decode(Stream stream, AmiParserOptions? options = null, Action<AmiProtocolError>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new byte[ChunkSize];
        var batch = new List<AmiMessage>();
        AmiParser? parser = options is null ? null : new AmiParser(options);
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            parser ??= new AmiParser(Detect(buffer.AsSpan(0, read)));
            batch.Clear();
            ReadOnlySpan<byte> input = buffer.AsSpan(0, read);
            Drain(parser, ref input, batch, onError);
            foreach (var m in batch)
            {
                yield return m;
            }
        }
        if (parser is not null)
        {
            Finish(parser, onError);
        }
    }

    /// <summary>Decodes a stream asynchronously, reading it in 64 KiB chunks.</summary>
    public static async IAsyncEnumerable<AmiMessage> DecodeAsync(Stream stream, AmiParserOptions? options = null, Action<AmiProtocolError>? onError = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new byte[ChunkSize];
        var batch = new List<AmiMessage>();
        AmiParser? parser = options is null ? null : new AmiParser(options);
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            parser ??= new AmiParser(Detect(buffer.AsSpan(0, read)));
            batch.Clear();
            DrainArray(parser, buffer, read, batch, onError);
            foreach (var m in batch)
            {
                yield return m;
            }
        }
        if (parser is not null)
        {
            Finish(parser, onError);
        }
    }

    private static void DrainArray(AmiParser parser, byte[] buffer, int count, List<AmiMessage> output, Action<AmiProtocolError>? onError)
    {
        ReadOnlySpan<byte> input = buffer.AsSpan(0, count);
        Drain(parser, ref input, output, onError);
    }

    private static AmiParserOptions Detect(ReadOnlySpan<byte> head)
    {
        var trimmed = head.TrimStart("\r\n"u8);
        int n = Math.Min(trimmed.Length, BannerPrefix.Length);
        bool banner = n > 0 && trimmed[..n].SequenceEqual(BannerPrefix[..n]);
        return new AmiParserOptions { ExpectBanner = banner };
    }

    private static void Drain(AmiParser parser, ref ReadOnlySpan<byte> input, List<AmiMessage> output, Action<AmiProtocolError>? onError)
    {
        while (true)
        {
            switch (parser.Read(ref input, out var message, out var error))
            {
                case AmiReadStatus.NeedMoreData:
                    return;
                case AmiReadStatus.Message:
                    output.Add(message!);
                    break;
                case AmiReadStatus.Error:
                    Report(error, onError);
                    break;
            }
        }
    }

    private static void Finish(AmiParser parser, Action<AmiProtocolError>? onError)
    {
        if (parser.Complete() is { } error)
        {
            Report(error, onError);
        }
    }

    private static void Report(AmiProtocolError error, Action<AmiProtocolError>? onError)
    {
        if (onError is null)
        {
            throw new AmiProtocolException(error);
        }
        onError(error);
    }
}
