using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serving.Protocol.Messages;
using Serving.Protocol.Rest;
using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Rest;

/// <summary>
/// Mutation fuzz of <see cref="RestInferRequestReader"/>: valid JSON bodies (some with binary tensors after an
/// <c>Inference-Header-Content-Length</c> header) with values swapped for other types and odd numbers, keys removed or
/// repeated, shapes and binary_data_size lied about, bytes changed, are read into a request that is consistent with
/// itself, or refused as a caller's error (400, 413); nothing else. The body's owner is disposed once either way.
/// </summary>
public sealed class RestInferRequestReaderFuzzTests
{
    // Mutated bodies per run: 10,000 in CI; set REST_READER_FUZZ_ITERATIONS for a longer search (200,000 took 6 s).
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("REST_READER_FUZZ_ITERATIONS"), out var n) ? n : 10_000;

    private static readonly string[] OddValues =
    [
        "1e400", "-1e400", "-1", "0", "1.5", "9223372036854775808", "-9223372036854775809", "18446744073709551616", "4294967296",
        "\"NaN\"", "\"Infinity\"", "\"x\"", "\"\"", "null", "true", "false", "[]", "{}", "[1, [2]]",
        new string('[', 70) + new string(']', 70), "[" + string.Join(",", Enumerable.Repeat("1e400", 3)) + "]",
    ];

    // Inserted as text: JsonNode, which writes the mutated trees, cannot hold a lone surrogate escape.
    private static readonly string[] Insertions = [.. OddValues, "\"\\ud800\"", "\"a\\udc00\"", "\"\\u00\"", "\u00e9"];

    [Fact]
    public void Read_MutatedBodies_ASelfConsistentRequest_OrACallersError()
    {
        var random = new Random(53);
        var (read, refused) = (0, 0);
        for (var i = 0; i < Iterations; i++)
        {
            var (body, headerLength, _) = Body(random);
            (body, headerLength) = Mutate(body, headerLength, random);
            var limit = FuzzInputs.Limits[random.Next(FuzzInputs.Limits.Length)];
            var owner = new DisposalCounter();

            var request = FuzzInputs.ReadOrRefuse(
                () => RestInferRequestReader.Read(body, headerLength, "m", "1", limit, owner),
                () => $"limit {limit}, header length {headerLength}, body {Convert.ToBase64String(body)}");
            if (request is null)
            {
                Assert.Equal(1, owner.Count);
                refused++;
                continue;
            }

            Assert.Equal(0, owner.Count);
            AssertConsistent(request, limit);
            request.Dispose();
            Assert.Equal(1, owner.Count);
            read++;
        }

        Assert.True(read > Iterations / 10, $"read {read}");
        Assert.True(refused > Iterations / 10, $"refused {refused}");
    }

    [Fact]
    public void Read_UnmutatedBodies_TheirTensors()
    {
        var random = new Random(59);
        for (var i = 0; i < 1000; i++)
        {
            var (body, headerLength, tensors) = Body(random);

            using var request = RestInferRequestReader.Read(body, headerLength, "m", "1", 1024, null);

            Assert.Equal(tensors.Count, request.Inputs.Count);
            for (var t = 0; t < tensors.Count; t++)
            {
                TensorAssert.SameValues(tensors[t], request.Inputs[t]);
                tensors[t].Dispose();
            }
        }
    }

    private static void AssertConsistent(InferenceRequest request, long limit)
    {
        Assert.Equal(request.Inputs.Count, request.Inputs.Select(t => t.Name).Distinct(StringComparer.Ordinal).Count());
        foreach (var tensor in request.Inputs)
        {
            Assert.False(string.IsNullOrEmpty(tensor.Name));
            Assert.NotEqual(DataType.Unknown, tensor.DataType);
            Assert.All(tensor.Shape, d => Assert.True(d >= 0));
            var count = tensor.ElementCount;
            Assert.InRange(count, 0, limit);
            Assert.Equal(tensor.DataType == DataType.Bytes ? count : count * tensor.DataType.ElementSize(), tensor.DataType == DataType.Bytes ? tensor.Elements!.Length : tensor.Data.Length);
        }

        Assert.All(request.Outputs, o => Assert.False(string.IsNullOrEmpty(o.Name)));
        Assert.All(request.Outputs, o => Assert.InRange(o.Classification, 0, RequestedOutput.MaxClassification));
        Assert.All(request.Parameters.Values, v => Assert.True(v is bool or long or double or string, $"{v.GetType()}"));
    }

    // A valid body: JSON, and the binary tensors after it when some inputs travel binary.
    private static (byte[] Body, int? HeaderLength, List<InferTensor> Tensors) Body(Random random)
    {
        var tensors = new List<InferTensor>();
        var binary = new ArrayBufferWriter<byte>();
        var json = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (random.Next(2) == 0)
            {
                writer.WriteString("id", "r" + random.Next(9));
            }

            writer.WriteStartObject("parameters");
            writer.WriteNumber("priority", random.Next(3));
            writer.WriteBoolean("binary_data_output", random.Next(2) == 0);
            writer.WriteEndObject();
            writer.WriteStartArray("inputs");
            for (var i = random.Next(1, 4); i > 0; i--)
            {
                var tensor = FuzzInputs.Tensor(random, "in" + i);
                tensors.Add(tensor);
                WriteInput(writer, tensor, random.Next(3) == 0 ? binary : null);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("outputs");
            writer.WriteStartObject();
            writer.WriteString("name", "out");
            writer.WriteStartObject("parameters");
            writer.WriteBoolean("binary_data", random.Next(2) == 0);
            writer.WriteNumber(RequestedOutput.ClassificationParameter, random.Next(3));
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return binary.WrittenCount == 0 && random.Next(2) == 0
            ? (json.WrittenSpan.ToArray(), null, tensors)
            : ([.. json.WrittenSpan, .. binary.WrittenSpan], json.WrittenCount, tensors);
    }

    private static void WriteInput(Utf8JsonWriter writer, InferTensor tensor, ArrayBufferWriter<byte>? binary)
    {
        binary?.Write(RawContentsCodec.ToArray(tensor));
        RestTensorJson.Write(writer, tensor, binary is not null);
    }

    // A value swapped, a key removed or repeated, bytes changed, or the header length lied about.
    private static (byte[] Body, int? HeaderLength) Mutate(byte[] body, int? headerLength, Random random)
    {
        var jsonLength = headerLength ?? body.Length;
        switch (random.Next(5))
        {
            case 0:
            case 1:
                var json = JsonNode.Parse(body.AsSpan(0, jsonLength))!;
                for (var m = random.Next(1, 3); m > 0; m--)
                {
                    ChangeNode(json, random);
                }

                var mutated = Encoding.UTF8.GetBytes(json.ToJsonString());
                return ([.. mutated, .. body.AsSpan(jsonLength)], headerLength is null ? null : mutated.Length);
            case 2:
                var text = FuzzInputs.Mutate(body.AsSpan(0, jsonLength).ToArray(), random, r => Encoding.UTF8.GetBytes(Insertions[r.Next(Insertions.Length)]));
                return ([.. text, .. body.AsSpan(jsonLength)], headerLength is null ? null : text.Length);
            case 3:
                // A key given twice: the same object with one of its properties copied in front.
                var at = Array.IndexOf(body, (byte)'"', random.Next(jsonLength));
                var end = at < 0 ? -1 : Array.IndexOf(body, (byte)',', at);
                return at < 0 || end < 0 || end >= jsonLength
                    ? (body, headerLength)
                    : ([.. body.AsSpan(0, at), .. body.AsSpan(at, end - at + 1), .. body.AsSpan(at)], headerLength + (end - at + 1));
            default:
                int?[] lies = [null, -1, 0, jsonLength - 1, jsonLength + 1, body.Length, body.Length + 1, random.Next(body.Length + 1)];
                return (body, lies[random.Next(lies.Length)]);
        }
    }

    private static void ChangeNode(JsonNode root, Random random)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var node = nodes[random.Next(nodes.Count)];
        if (node.Parent is not { } parent)
        {
            return;
        }

        var value = random.Next(4) == 0 ? null : JsonNode.Parse(OddValues[random.Next(OddValues.Length)], documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
        if (parent is JsonObject obj)
        {
            var name = node.GetPropertyName();
            if (random.Next(3) == 0)
            {
                obj.Remove(name);
            }
            else
            {
                obj[name] = value;
            }
        }
        else if (parent is JsonArray array)
        {
            var index = node.GetElementIndex();
            if (random.Next(3) == 0)
            {
                array.RemoveAt(index);
            }
            else
            {
                array[index] = value;
            }
        }
    }

    private static void Collect(JsonNode? node, List<JsonNode> nodes)
    {
        if (node is null)
        {
            return;
        }

        nodes.Add(node);
        foreach (var child in node switch { JsonObject o => o.Select(p => p.Value), JsonArray a => a, _ => [] })
        {
            Collect(child, nodes);
        }
    }
}
