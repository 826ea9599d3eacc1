using System.Text;

namespace AmiActors.Benchmarks;

/// <summary>
/// The anti-model from STYLE.md, as the baseline for the protocol benchmarks: every read is decoded to a string,
/// every line becomes a string (and its key and value two more), and every message is a dictionary.
/// This is how the most used .NET AMI library reads the socket. Not used by the library.
/// </summary>
internal sealed class NaiveParser
{
    private readonly StringBuilder _pending = new();
    private Dictionary<string, string> _current = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Feeds one chunk; completed messages are passed to <paramref name="onMessage"/>.</summary>
    public void Feed(byte[] buffer, int offset, int count, Action<Dictionary<string, string>> onMessage)
    {
        _pending.Append(Encoding.UTF8.GetString(buffer, offset, count));
        string text = _pending.ToString();
        int start = 0;
        while (true)
        {
            int lf = text.IndexOf('\n', start);
            if (lf < 0)
            {
                break;
            }
            string line = text.Substring(start, lf - start).TrimEnd('\r');
            start = lf + 1;
            if (line.Length == 0)
            {
                if (_current.Count > 0)
                {
                    onMessage(_current);
                    _current = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                }
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon < 0)
            {
                _current[$"line{_current.Count}"] = line;
                continue;
            }
            string key = line.Substring(0, colon).Trim();
            string value = line.Substring(colon + 1).Trim();
            // Keep the first value of a repeated key, as a multimap-unaware reader would try to.
            _current.TryAdd(key, value);
        }
        _pending.Clear();
        _pending.Append(text, start, text.Length - start);
    }
}
