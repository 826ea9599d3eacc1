using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AmiActors.Generators;

/// <summary>
/// A small strict JSON reader (RFC 8259) producing plain objects: Dictionary&lt;string, object?&gt; for objects,
/// List&lt;object?&gt; for arrays, string, double, bool and null. The compiler cannot easily load System.Text.Json
/// into a netstandard2.0 generator, and the catalog is small, so this is enough.
/// </summary>
internal sealed class JsonReader
{
    private const int MaxDepth = 64;
    private readonly string _text;
    private int _pos;

    private JsonReader(string text)
    {
        _text = text;
    }

    /// <summary>Parses one JSON document; throws <see cref="FormatException"/> with the line and column of the first error.</summary>
    public static object? Parse(string text)
    {
        var reader = new JsonReader(text);
        reader.SkipWhitespace();
        if (reader._pos < text.Length && text[reader._pos] == '\uFEFF')
        {
            reader._pos++;
            reader.SkipWhitespace();
        }
        var value = reader.ReadValue(0);
        reader.SkipWhitespace();
        if (reader._pos != text.Length)
        {
            throw reader.Error("unexpected text after the document");
        }
        return value;
    }

    private object? ReadValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error("nesting too deep");
        }
        SkipWhitespace();
        if (_pos >= _text.Length)
        {
            throw Error("unexpected end of document");
        }
        char c = _text[_pos];
        switch (c)
        {
            case '{':
                return ReadObject(depth);
            case '[':
                return ReadArray(depth);
            case '"':
                return ReadString();
            case 't':
                ExpectWord("true");
                return true;
            case 'f':
                ExpectWord("false");
                return false;
            case 'n':
                ExpectWord("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return ReadNumber();
                }
                throw Error($"unexpected character '{c}'");
        }
    }

    private Dictionary<string, object?> ReadObject(int depth)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        _pos++;
        SkipWhitespace();
        if (Peek() == '}')
        {
            _pos++;
            return result;
        }
        while (true)
        {
            SkipWhitespace();
            if (Peek() != '"')
            {
                throw Error("expected a property name");
            }
            string name = ReadString();
            SkipWhitespace();
            if (Peek() != ':')
            {
                throw Error("expected ':'");
            }
            _pos++;
            result[name] = ReadValue(depth + 1);
            SkipWhitespace();
            char c = Peek();
            _pos++;
            if (c == '}')
            {
                return result;
            }
            if (c != ',')
            {
                _pos--;
                throw Error("expected ',' or '}'");
            }
        }
    }

    private List<object?> ReadArray(int depth)
    {
        var result = new List<object?>();
        _pos++;
        SkipWhitespace();
        if (Peek() == ']')
        {
            _pos++;
            return result;
        }
        while (true)
        {
            result.Add(ReadValue(depth + 1));
            SkipWhitespace();
            char c = Peek();
            _pos++;
            if (c == ']')
            {
                return result;
            }
            if (c != ',')
            {
                _pos--;
                throw Error("expected ',' or ']'");
            }
        }
    }

    private string ReadString()
    {
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw Error("unterminated string");
            }
            char c = _text[_pos++];
            if (c == '"')
            {
                return sb.ToString();
            }
            if (c < ' ')
            {
                _pos--;
                throw Error("control character in string");
            }
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (_pos >= _text.Length)
            {
                throw Error("unterminated escape");
            }
            char e = _text[_pos++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (_pos + 4 > _text.Length || !int.TryParse(_text.Substring(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        throw Error("bad \\u escape");
                    }
                    sb.Append((char)code);
                    _pos += 4;
                    break;
                default:
                    _pos--;
                    throw Error($"bad escape '\\{e}'");
            }
        }
    }

    private double ReadNumber()
    {
        int start = _pos;
        if (Peek() == '-')
        {
            _pos++;
        }
        while (_pos < _text.Length && "0123456789.eE+-".IndexOf(_text[_pos]) >= 0)
        {
            _pos++;
        }
        string s = _text.Substring(start, _pos - start);
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            _pos = start;
            throw Error($"bad number '{s}'");
        }
        return d;
    }

    private void ExpectWord(string word)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0)
        {
            throw Error($"expected '{word}'");
        }
        _pos += word.Length;
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && (_text[_pos] == ' ' || _text[_pos] == '\t' || _text[_pos] == '\r' || _text[_pos] == '\n'))
        {
            _pos++;
        }
    }

    private FormatException Error(string what)
    {
        int line = 1;
        int column = 1;
        for (int i = 0; i < _pos && i < _text.Length; i++)
        {
            if (_text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return new FormatException($"JSON error at line {line}, column {column}: {what}");
    }
}
