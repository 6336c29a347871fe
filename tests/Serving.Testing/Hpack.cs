using System.Text;

namespace Serving.Testing;

/// <summary>
/// Just enough HPACK (RFC 7541) for a test client that told the server to keep no dynamic table: static-table entries,
/// literals with a static or new name, string literals without Huffman coding (Kestrel's encoder writes none) and
/// table size updates. Anything else fails loudly instead of being misread.
/// </summary>
public static class Hpack
{
    private static readonly (string Name, string Value)[] Static =
    [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"), (":scheme", "http"),
        (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"), (":status", "304"), (":status", "400"),
        (":status", "404"), (":status", "500"), ("accept-charset", ""), ("accept-encoding", "gzip, deflate"), ("accept-language", ""),
        ("accept-ranges", ""), ("accept", ""), ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""),
        ("cache-control", ""), ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""), ("etag", ""), ("expect", ""),
        ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
        ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""), ("server", ""), ("set-cookie", ""),
        ("strict-transport-security", ""), ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ];

    /// <summary>The header fields of a header block.</summary>
    public static List<(string Name, string Value)> Decode(byte[] block)
    {
        var fields = new List<(string, string)>();
        var at = 0;
        while (at < block.Length)
        {
            var first = block[at];
            if ((first & 0x80) != 0)
            {
                fields.Add(Entry(Integer(block, ref at, 7)));
            }
            else if ((first & 0xE0) == 0x20)
            {
                Integer(block, ref at, 5); // a dynamic table size update: there is no table to resize
            }
            else
            {
                // Literal with incremental indexing (01), without indexing (0000) or never indexed (0001).
                var index = Integer(block, ref at, (first & 0x40) != 0 ? 6 : 4);
                var name = index == 0 ? String(block, ref at) : Entry(index).Name;
                fields.Add((name, String(block, ref at)));
            }
        }

        return fields;
    }

    /// <summary>Writes <paramref name="text"/> as a string literal without Huffman coding.</summary>
    public static void WriteString(Stream output, string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        var length = bytes.Length;
        if (length < 127)
        {
            output.WriteByte((byte)length);
        }
        else
        {
            output.WriteByte(127);
            for (length -= 127; length >= 128; length >>= 7)
            {
                output.WriteByte((byte)((length & 0x7F) | 0x80));
            }

            output.WriteByte((byte)length);
        }

        output.Write(bytes);
    }

    private static (string Name, string Value) Entry(int index) =>
        index is >= 1 and <= 61 ? Static[index - 1] : throw new InvalidOperationException($"HPACK index {index} is in a dynamic table this client told the server not to keep");

    private static int Integer(byte[] block, ref int at, int prefix)
    {
        var max = (1 << prefix) - 1;
        var value = block[at++] & max;
        if (value < max)
        {
            return value;
        }

        for (var shift = 0; ; shift += 7)
        {
            var b = block[at++];
            value += (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private static string String(byte[] block, ref int at)
    {
        if ((block[at] & 0x80) != 0)
        {
            throw new InvalidOperationException("a Huffman-coded HPACK string: this client does not decode them");
        }

        var length = Integer(block, ref at, 7);
        var text = Encoding.Latin1.GetString(block, at, length);
        at += length;
        return text;
    }
}
