using System.Text.Json;
using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;

namespace Serving.Protocol.Rest;

/// <summary>
/// Reads a REST infer body: plain JSON, or Triton's binary tensor extension (a JSON header of
/// <c>Inference-Header-Content-Length</c> bytes, then the binary inputs in the order they appear).
/// </summary>
public static class RestInferRequestReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Parses <paramref name="body"/>; tensors may point into it, so the request owns
    /// <paramref name="bodyOwner"/> from here on (disposed with it, or at once when parsing fails).
    /// </summary>
    public static InferenceRequest Read(
        ReadOnlyMemory<byte> body, int? headerLength, string modelName, string modelVersion, long maxElementsPerTensor, IDisposable? bodyOwner)
    {
        try
        {
            return ReadCore(body, headerLength, modelName, modelVersion, maxElementsPerTensor, bodyOwner);
        }
        catch (InvalidOperationException)
        {
            // JsonElement.GetString throws this for lone surrogate escapes, which JsonDocument.Parse accepts.
            throw InferenceException.Invalid("malformed JSON: a string is not valid text (lone surrogate escape)");
        }
    }

    private static InferenceRequest ReadCore(
        ReadOnlyMemory<byte> body, int? headerLength, string modelName, string modelVersion, long maxElementsPerTensor, IDisposable? bodyOwner)
    {
        var jsonLength = headerLength ?? body.Length;
        JsonDocument document;
        string? id;
        try
        {
            if (jsonLength < 0 || jsonLength > body.Length)
            {
                throw InferenceException.Invalid($"Inference-Header-Content-Length {jsonLength} is outside the body of {body.Length} bytes");
            }

            document = ParseJson(body[..jsonLength]);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw InferenceException.Invalid("the request body must be a JSON object");
            }

            id = ReadId(document);
        }
        catch
        {
            // No request owns the body yet.
            bodyOwner?.Dispose();
            throw;
        }

        using (document)
        {
            var root = document.RootElement;
            var inputs = new List<InferTensor>();
            var request = new InferenceRequest(modelName, modelVersion, id, inputs, bodyOwner);
            try
            {
                var binary = body[jsonLength..];
                ReadInputs(root, inputs, binary, maxElementsPerTensor);
                ReadOutputs(root, request);
                if (root.TryGetProperty("parameters", out var parameters))
                {
                    ReadParameters(parameters, request.Parameters);
                    request.BinaryOutputByDefault = parameters.TryGetProperty("binary_data_output", out var b) && b.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw InferenceException.Invalid($"binary_data_output must be true or false, not {b.GetRawText()}"),
                    };
                }

                return request;
            }
            catch
            {
                request.Dispose();
                throw;
            }
        }
    }

    private static string? ReadId(JsonDocument document)
    {
        try
        {
            return OptionalString(document.RootElement, "id");
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static JsonDocument ParseJson(ReadOnlyMemory<byte> json)
    {
        // A UTF-8 byte order mark, as some Windows tools write before JSON: not part of the text (RFC 8259 lets a parser ignore it).
        if (json.Span.StartsWith(Utf8ByteOrderMark))
        {
            json = json[Utf8ByteOrderMark.Length..];
        }

        try
        {
            return JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw InferenceException.Invalid($"malformed JSON: {e.Message}");
        }
    }

    private static void ReadInputs(JsonElement root, List<InferTensor> inputs, ReadOnlyMemory<byte> binary, long maxElements)
    {
        if (!root.TryGetProperty("inputs", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw InferenceException.Invalid("the request needs an 'inputs' array");
        }

        var offset = 0;
        var names = default(TensorNameSet);
        foreach (var input in array.EnumerateArray())
        {
            if (input.ValueKind != JsonValueKind.Object)
            {
                throw InferenceException.Invalid("each input must be a JSON object");
            }

            var name = OptionalString(input, "name");
            if (string.IsNullOrEmpty(name))
            {
                throw InferenceException.Invalid("an input has no name");
            }

            if (!names.IsNew(inputs, name))
            {
                throw InferenceException.Invalid($"input '{name}' appears more than once");
            }

            var datatype = OptionalString(input, "datatype");
            if (!DataTypes.TryParse(datatype, out var type))
            {
                throw InferenceException.Invalid($"input '{name}': unknown datatype '{datatype}'");
            }

            var shape = ReadShape(name, input);
            var count = Shapes.CheckedElementCount(name, shape, maxElements);
            var binarySize = BinaryDataSize(name, input);
            var hasData = input.TryGetProperty("data", out var data);
            if (binarySize is { } size)
            {
                if (hasData)
                {
                    throw InferenceException.Invalid($"input '{name}' has both 'data' and binary_data_size");
                }

                if (size > binary.Length - offset)
                {
                    throw InferenceException.Invalid($"input '{name}': binary_data_size {size} runs past the end of the body");
                }

                inputs.Add(RawContentsCodec.Decode(name, type, shape, count, binary.Slice(offset, (int)size)));
                offset += (int)size;
            }
            else if (hasData)
            {
                inputs.Add(JsonContentsCodec.Decode(name, type, shape, count, data));
            }
            else
            {
                throw InferenceException.Invalid($"input '{name}' has neither 'data' nor binary_data_size");
            }
        }

        if (offset != binary.Length)
        {
            throw InferenceException.Invalid($"the body has {binary.Length - offset} bytes after the JSON header that no input claims");
        }
    }

    private static long[] ReadShape(string name, JsonElement input)
    {
        if (!input.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
        {
            throw InferenceException.Invalid($"input '{name}' needs a 'shape' array");
        }

        var dims = new long[shape.GetArrayLength()];
        var i = 0;
        foreach (var dim in shape.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out dims[i++]))
            {
                throw InferenceException.Invalid($"input '{name}': shape dimensions must be integers");
            }
        }

        return dims;
    }

    private static long? BinaryDataSize(string name, JsonElement input)
    {
        if (!input.TryGetProperty("parameters", out var p) || p.ValueKind != JsonValueKind.Object
            || !p.TryGetProperty("binary_data_size", out var size))
        {
            return null;
        }

        return size.ValueKind == JsonValueKind.Number && size.TryGetInt64(out var n) && n >= 0 && n <= int.MaxValue
            ? n
            : throw InferenceException.Invalid($"input '{name}': binary_data_size must be a non-negative integer");
    }

    private static void ReadOutputs(JsonElement root, InferenceRequest request)
    {
        if (!root.TryGetProperty("outputs", out var outputs))
        {
            return;
        }

        if (outputs.ValueKind != JsonValueKind.Array)
        {
            throw InferenceException.Invalid("'outputs' must be an array");
        }

        foreach (var output in outputs.EnumerateArray())
        {
            var name = output.ValueKind == JsonValueKind.Object ? OptionalString(output, "name") : null;
            if (string.IsNullOrEmpty(name))
            {
                throw InferenceException.Invalid("each requested output needs a 'name'");
            }

            bool? binary = null;
            var classification = 0;
            if (output.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object)
            {
                if (p.TryGetProperty("binary_data", out var b))
                {
                    binary = b.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw InferenceException.Invalid($"output '{name}': binary_data must be true or false"),
                    };
                }

                if (p.TryGetProperty(RequestedOutput.ClassificationParameter, out var c))
                {
                    classification = c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var count)
                        ? RequestedOutput.ClassCount(name, count)
                        : throw InferenceException.Invalid($"output '{name}': '{RequestedOutput.ClassificationParameter}' must be a whole number of classes, not {c.GetRawText()}");
                }
            }

            request.Outputs.Add(new RequestedOutput(name, binary, classification));
        }
    }

    private static void ReadParameters(JsonElement parameters, Dictionary<string, object> target)
    {
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            throw InferenceException.Invalid("'parameters' must be an object");
        }

        foreach (var p in parameters.EnumerateObject())
        {
            object? value = p.Value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.Number when p.Value.TryGetInt64(out var l) => l,
                JsonValueKind.Number => p.Value.GetDouble(),
                _ => null,
            };
            if (value is not null)
            {
                target[p.Name] = value;
            }
        }
    }

    private static string? OptionalString(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value)
            ? value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : throw InferenceException.Invalid($"'{property}' must be a string")
            : null;
}
