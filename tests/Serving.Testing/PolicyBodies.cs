using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serving.Testing;

/// <summary>
/// Inputs for the mutation fuzz of the admin API's policy change: valid policy bodies for a model that serves versions 1
/// and 2 (as docs/gateway.md and the tests write them) with values swapped for other types and odd numbers, keys removed,
/// added or repeated, strings made long or odd, nesting made deep, bytes changed, cut or made invalid UTF-8; and model
/// names for the path.
/// </summary>
public static class PolicyBodies
{
    /// <summary>Valid policies for versions 1 and 2 (each applies as it is).</summary>
    public static readonly string[] Valid =
    [
        """{"weights": {"1": 100, "2": 0}}""",
        """{"weights": {"1": 90, "2": 10}}""",
        """{"model": "tabular", "weights": {"1": 50, "2": 50}, "sticky_header": "x-user-id"}""",
        """{"weights": {"1": 90, "2": 10}, "sticky_header": "x-user-id", "pin_header": "x-model-version"}""",
        """{"weights": {"1": 100}, "shadow": {"version": "2", "percent": 5}}""",
        """{"weights": {"1": 90, "2": 10}, "rollback": {"baseline": "1", "max_error_rate": 0.05}}""",
        """{"weights": {"1": 80, "2": 20}, "rollback": {"baseline": "1", "max_error_rate": 0.5, "max_p99_ms": 250, "min_requests": 20, "window_seconds": 30}}""",
        """{"model": "tabular", "weights": {"1": 100, "2": 0}, "sticky_header": null, "pin_header": null, "shadow": null, "rollback": null, "last_rollback": null, "revision": null, "updated_at": "2026-01-31T12:00:00+00:00", "updated_by": "x", "source": "policy"}""",
    ];

    /// <summary>Values put in place of one: other types, numbers out of range or not whole, odd strings, deep nesting.</summary>
    private static readonly string[] OddValues =
    [
        "null", "true", "false", "0", "-1", "1", "2", "100", "101", "-0", "0.5", "99.5", "1e2", "1E400", "-1e400", "1e-400",
        "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "18446744073709551616",
        "\"\"", "\"1\"", "\"2\"", "\"100\"", "\"x-user-id\"", "\"NaN\"", "\"Infinity\"", "\"tabular\"", "\"模型\"", "\"a\\u0000b\"", "\"\\r\\nx: y\"",
        "[]", "{}", "[1, 2]", """{"1": 100}""", """{"version": "2", "percent": 5}""", """{"baseline": "1", "max_error_rate": 0.05}""",
        new string('[', 70) + new string(']', 70),
        "\"" + new string('x', 65) + "\"", "\"" + new string('h', 5000) + "\"",
    ];

    /// <summary>Inserted as text (JsonNode, which writes the mutated trees, can't hold them): lone surrogates, bad escapes.</summary>
    private static readonly string[] Insertions = [.. OddValues.Take(30), new string('[', 900) + new string(']', 900), new string('{', 100), "\"\\ud800\"", "\"a\\udc00\"", "\"\\u00\"", "\u00e9", "\"", "{", "}", ",", ":", "/*", "\0"];

    private static readonly string[] Keys =
    [
        "model", "weights", "sticky_header", "pin_header", "shadow", "rollback", "last_rollback", "revision", "updated_at",
        "updated_by", "source", "version", "percent", "baseline", "max_error_rate", "max_p99_ms", "min_requests", "window_seconds",
        "Weights", "WEIGHTS", "stiky_header", "1", "2", "3", "01", "0", "-1", "1.0", " 1", "", "模型", "a.b", "a']b", "$", new string('k', 300),
    ];

    /// <summary>
    /// Model names for the path, as they go on the wire (percent-encoded where shown): path-like, encoded, long, unicode,
    /// of another case, with control characters.
    /// </summary>
    public static readonly string[] PathModels =
    [
        "tabular", "TABULAR", "tabular.", ".tabular", "tabular-", "_tabular", "nope", "tab%75lar", "tabular%2Fpolicy", "tabular%2fx",
        "%2e%2e", "..", ".", "a..b", "%2E", "tabular%00", "tabular%0A", "tabular%20", "%20tabular", "tabular%25", "%25", "%",
        "%ZZ", "%E6%A8%A1%E5%9E%8B", "%C3%28", "%FF", "%F0%9F%98%80", "tabular%3Bx=1", "tabular;x", "tabular%3F", "tabular%23",
        "a%5Cb", "~", "x", "", "tabular/", "tabular/policy/..", "%2Ftabular", new string('m', 128), new string('m', 129), new string('m', 4000), "tabular%2F..%2F..%2Fmodels",
    ];

    /// <summary>A valid body, mutated (one time in ten left as it is).</summary>
    public static byte[] Mutated(Random random)
    {
        var valid = Valid[random.Next(Valid.Length)];
        switch (random.Next(10))
        {
            case 0:
                return Encoding.UTF8.GetBytes(valid);
            case 1:
            case 2:
            case 3:
            case 4:
                var root = JsonNode.Parse(valid)!;
                for (var m = random.Next(1, 3); m > 0; m--)
                {
                    Change(root, random);
                }

                return Encoding.UTF8.GetBytes(root.ToJsonString());
            case 5:
                // A key given twice: one property copied in front of itself.
                var at = valid.IndexOf('"', random.Next(valid.Length));
                var end = at < 0 ? -1 : valid.IndexOfAny([',', '}'], at);
                return Encoding.UTF8.GetBytes(at < 0 || end < 0 ? valid : valid[..at] + valid[at..end] + "," + valid[at..]);
            case 6:
                // Cut anywhere (an empty body among them).
                var bytes = Encoding.UTF8.GetBytes(valid);
                return bytes.AsSpan(0, random.Next(bytes.Length)).ToArray();
            case 7:
                // Not UTF-8, or not JSON text at all.
                var raw = Encoding.UTF8.GetBytes(valid).ToList();
                raw.InsertRange(random.Next(raw.Count), random.Next(3) switch { 0 => [0xC3, 0x28], 1 => [0xFF, 0xFE], _ => [0xED, 0xA0, 0x80] });
                return random.Next(4) == 0 ? Encoding.Unicode.GetBytes(valid) : [.. raw];
            default:
                // Bytes changed; an odd value or JSON punctuation among the insertions.
                return ByteMutations.Mutate(Encoding.UTF8.GetBytes(valid), random, r => Encoding.UTF8.GetBytes(Insertions[r.Next(Insertions.Length)]));
        }
    }

    /// <summary>A body for a failure message: as text when it is short UTF-8, else Base64.</summary>
    public static string Describe(byte[] body)
    {
        var shown = body.AsSpan(0, Math.Min(body.Length, 400)).ToArray();
        try
        {
            return $"({body.Length} bytes) " + new UTF8Encoding(false, true).GetString(shown);
        }
        catch (DecoderFallbackException)
        {
            return $"({body.Length} bytes, base64) " + Convert.ToBase64String(shown);
        }
    }

    // A value swapped for an odd one, a key removed, renamed or added, or a value nested deep.
    private static void Change(JsonNode root, Random random)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var node = nodes[random.Next(nodes.Count)];
        var odd = random.Next(8) == 0 ? null : JsonNode.Parse(OddValues[random.Next(OddValues.Length)], documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
        if (node is JsonObject obj && random.Next(2) == 0)
        {
            var key = Keys[random.Next(Keys.Length)];
            obj.Remove(key);
            obj[key] = odd;
            return;
        }

        switch (node.Parent)
        {
            case JsonObject parent:
                var name = node.GetPropertyName();
                switch (random.Next(4))
                {
                    case 0:
                        parent.Remove(name);
                        break;
                    case 1:
                        var renamed = Keys[random.Next(Keys.Length)];
                        parent.Remove(name);
                        parent.Remove(renamed);
                        parent[renamed] = node;
                        break;
                    default:
                        parent[name] = odd;
                        break;
                }

                break;
            case JsonArray array:
                array[array.IndexOf(node)] = odd;
                break;
        }
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj.ToList())
                {
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array.ToList())
                {
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }

                break;
        }
    }
}
