using System.Buffers.Binary;
using System.Text.Json;
using Google.Protobuf;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Shadow;

/// <summary>
/// Decides whether a shadow's answer agrees with the primary's: the same outputs (names, datatypes,
/// shapes) with the same values, floating-point values within a tolerance. Model name, version and
/// request id are ignored: they differ by design. Runs off the request path, on shadowed requests only.
/// </summary>
internal static class InferResponseComparer
{
    /// <summary>
    /// Compares two gRPC response bodies (one length-prefixed ModelInferResponse each): <see cref="ShadowResults.Agree"/>
    /// or <see cref="ShadowResults.Disagree"/>; <see cref="ShadowResults.PrimaryError"/> or <see cref="ShadowResults.ShadowError"/>
    /// when that body is not a readable answer (what can't be read is a failure, not a different answer).
    /// </summary>
    public static string GrpcCompare(ReadOnlyMemory<byte> primary, ReadOnlyMemory<byte> shadow, double tolerance) =>
        !TryParseGrpc(primary, out var a) ? ShadowResults.PrimaryError
        : !TryParseGrpc(shadow, out var b) ? ShadowResults.ShadowError
        : GrpcOutputsAgree(a, b, tolerance) ? ShadowResults.Agree : ShadowResults.Disagree;

    /// <summary>
    /// Compares two REST response bodies, as <see cref="GrpcCompare"/> does; a header length (Triton's binary extension) says
    /// where the JSON ends. A body is readable when its JSON is an object whose <c>outputs</c> is an array of objects, and its
    /// header length is within it.
    /// </summary>
    public static string RestCompare(ReadOnlyMemory<byte> primary, int? primaryJsonLength, ReadOnlyMemory<byte> shadow, int? shadowJsonLength, double tolerance)
    {
        using var a = ParseRest(primary, primaryJsonLength);
        if (a is null)
        {
            return ShadowResults.PrimaryError;
        }

        using var b = ParseRest(shadow, shadowJsonLength);
        if (b is null)
        {
            return ShadowResults.ShadowError;
        }

        var ao = a.RootElement.GetProperty("outputs");
        var bo = b.RootElement.GetProperty("outputs");
        if (ao.GetArrayLength() != bo.GetArrayLength())
        {
            return ShadowResults.Disagree;
        }

        foreach (var x in ao.EnumerateArray())
        {
            var name = Name(x);
            var y = bo.EnumerateArray().FirstOrDefault(e => Name(e) == name);
            if (y.ValueKind != JsonValueKind.Object || !Same(x, y, "datatype") || !Same(x, y, "shape"))
            {
                return ShadowResults.Disagree;
            }

            var xHasData = x.TryGetProperty("data", out var xd);
            var yHasData = y.TryGetProperty("data", out var yd);
            if (xHasData != yHasData || (xHasData && !JsonValuesAgree(xd, yd, tolerance)))
            {
                return ShadowResults.Disagree;
            }
        }

        // Binary outputs: the bytes after the JSON, compared exactly.
        var primaryTail = primary.Span[(primaryJsonLength ?? primary.Length)..];
        var shadowTail = shadow.Span[(shadowJsonLength ?? shadow.Length)..];
        return primaryTail.SequenceEqual(shadowTail) ? ShadowResults.Agree : ShadowResults.Disagree;
    }

    // The body's JSON when it is a readable answer, else null.
    private static JsonDocument? ParseRest(ReadOnlyMemory<byte> body, int? jsonLength)
    {
        if (jsonLength > body.Length)
        {
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body[..(jsonLength ?? body.Length)]);
        }
        catch (JsonException)
        {
            return null;
        }

        if (document.RootElement is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("outputs", out var outputs)
            && outputs.ValueKind == JsonValueKind.Array && outputs.EnumerateArray().All(o => o.ValueKind == JsonValueKind.Object))
        {
            return document;
        }

        document.Dispose();
        return null;
    }

    private static string? Name(JsonElement output) =>
        output.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;

    private static bool GrpcOutputsAgree(ModelInferResponse a, ModelInferResponse b, double tolerance)
    {
        if (a.Outputs.Count != b.Outputs.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Outputs.Count; i++)
        {
            var x = a.Outputs[i];
            var j = IndexOf(b, x.Name);
            if (j < 0)
            {
                return false;
            }

            var y = b.Outputs[j];
            if (x.Datatype != y.Datatype || !x.Shape.SequenceEqual(y.Shape))
            {
                return false;
            }

            var same = i < a.RawOutputContents.Count && j < b.RawOutputContents.Count
                ? RawAgree(x.Datatype, a.RawOutputContents[i].Span, b.RawOutputContents[j].Span, tolerance)
                : TypedAgree(x.Contents, y.Contents, tolerance);
            if (!same)
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryParseGrpc(ReadOnlyMemory<byte> body, out ModelInferResponse response)
    {
        response = null!;
        if (body.Length < 5 || body.Span[0] != 0)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(body.Span[1..5]);
        if (length > body.Length - 5)
        {
            return false;
        }

        try
        {
            response = ModelInferResponse.Parser.ParseFrom(body.Span.Slice(5, (int)length));
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    private static int IndexOf(ModelInferResponse response, string name)
    {
        for (var i = 0; i < response.Outputs.Count; i++)
        {
            if (response.Outputs[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool RawAgree(string datatype, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, double tolerance)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        switch (datatype)
        {
            case "FP32":
                for (var i = 0; i + 4 <= a.Length; i += 4)
                {
                    if (!Close(BinaryPrimitives.ReadSingleLittleEndian(a[i..]), BinaryPrimitives.ReadSingleLittleEndian(b[i..]), tolerance))
                    {
                        return false;
                    }
                }

                return true;
            case "FP64":
                for (var i = 0; i + 8 <= a.Length; i += 8)
                {
                    if (!Close(BinaryPrimitives.ReadDoubleLittleEndian(a[i..]), BinaryPrimitives.ReadDoubleLittleEndian(b[i..]), tolerance))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return a.SequenceEqual(b);
        }
    }

    private static bool TypedAgree(InferTensorContents? a, InferTensorContents? b, double tolerance)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        return a.Fp32Contents.Count == b.Fp32Contents.Count
            && a.Fp32Contents.Zip(b.Fp32Contents).All(p => Close(p.First, p.Second, tolerance))
            && a.Fp64Contents.Count == b.Fp64Contents.Count
            && a.Fp64Contents.Zip(b.Fp64Contents).All(p => Close(p.First, p.Second, tolerance))
            && a.BoolContents.SequenceEqual(b.BoolContents)
            && a.IntContents.SequenceEqual(b.IntContents)
            && a.Int64Contents.SequenceEqual(b.Int64Contents)
            && a.UintContents.SequenceEqual(b.UintContents)
            && a.Uint64Contents.SequenceEqual(b.Uint64Contents)
            && a.BytesContents.SequenceEqual(b.BytesContents);
    }

    private static bool Same(JsonElement a, JsonElement b, string property)
    {
        var hasA = a.TryGetProperty(property, out var x);
        var hasB = b.TryGetProperty(property, out var y);
        return hasA == hasB && (!hasA || JsonElement.DeepEquals(x, y));
    }

    private static bool JsonValuesAgree(JsonElement a, JsonElement b, double tolerance)
    {
        if (a.ValueKind != b.ValueKind)
        {
            return false;
        }

        switch (a.ValueKind)
        {
            case JsonValueKind.Array:
                if (a.GetArrayLength() != b.GetArrayLength())
                {
                    return false;
                }

                using (var x = a.EnumerateArray())
                using (var y = b.EnumerateArray())
                {
                    while (x.MoveNext() && y.MoveNext())
                    {
                        if (!JsonValuesAgree(x.Current, y.Current, tolerance))
                        {
                            return false;
                        }
                    }
                }

                return true;
            case JsonValueKind.Number:
                return a.TryGetDouble(out var p) && b.TryGetDouble(out var q) ? Close(p, q, tolerance) : JsonElement.DeepEquals(a, b);
            default:
                return JsonElement.DeepEquals(a, b);
        }
    }

    private static bool Close(double a, double b, double tolerance) =>
        a.Equals(b) || Math.Abs(a - b) <= tolerance * (1 + Math.Abs(a));
}
