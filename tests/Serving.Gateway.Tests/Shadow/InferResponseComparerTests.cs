using System.Text;
using Google.Protobuf;
using Serving.Gateway.Shadow;
using Serving.Gateway.Tests.TestSupport;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Tests.Shadow;

public sealed class InferResponseComparerTests
{
    [Fact]
    public void GrpcCompare_SameOutputs_DifferentVersionAndId_Agree()
    {
        var a = Grpc("1", "a", [0.25f, 0.75f]);
        var b = Grpc("2", "b", [0.25f, 0.75f]);

        Assert.Equal(ShadowResults.Agree, InferResponseComparer.GrpcCompare(a, b, 1e-5));
    }

    [Fact]
    public void GrpcCompare_WithinTolerance_Agree_Beyond_Disagree()
    {
        Assert.Equal(ShadowResults.Agree, InferResponseComparer.GrpcCompare(Grpc("1", "a", [0.25f]), Grpc("2", "a", [0.250001f]), 1e-5));
        Assert.NotEqual(ShadowResults.Agree, InferResponseComparer.GrpcCompare(Grpc("1", "a", [0.25f]), Grpc("2", "a", [0.26f]), 1e-5));
    }

    [Fact]
    public void GrpcCompare_TypedContents_Compared()
    {
        Assert.Equal(ShadowResults.Agree, InferResponseComparer.GrpcCompare(Grpc("1", "a", [1f, 2f], raw: false), Grpc("2", "b", [1f, 2f], raw: false), 0));
        Assert.NotEqual(ShadowResults.Agree, InferResponseComparer.GrpcCompare(Grpc("1", "a", [1f, 2f], raw: false), Grpc("2", "b", [1f, 3f], raw: false), 0));
    }

    [Fact]
    public void GrpcCompare_DifferentShapeOrName_Disagree()
    {
        Assert.NotEqual(ShadowResults.Agree, InferResponseComparer.GrpcCompare(Grpc("1", "a", [1f, 2f]), Grpc("1", "a", [1f, 2f, 3f]), 1e-5));
        Assert.NotEqual(ShadowResults.Agree, InferResponseComparer.GrpcCompare(Grpc("1", "a", [1f], name: "x"), Grpc("1", "a", [1f], name: "y"), 1e-5));
    }

    [Fact]
    public void GrpcCompare_Garbage_Disagree()
    {
        Assert.NotEqual(ShadowResults.Agree, InferResponseComparer.GrpcCompare(new byte[] { 0, 0, 0, 0, 3, 1, 2, 3 }, Grpc("1", "a", [1f]), 1e-5));
        Assert.NotEqual(ShadowResults.Agree, InferResponseComparer.GrpcCompare(Array.Empty<byte>(), Grpc("1", "a", [1f]), 1e-5));
    }

    [Fact]
    public void RestCompare_SameOutputs_DifferentVersion_Agree()
    {
        var a = Rest("1", """[{"name":"probabilities","datatype":"FP32","shape":[1,2],"data":[0.1,0.9]}]""");
        var b = Rest("2", """[{"name":"probabilities","datatype":"FP32","shape":[1,2],"data":[0.1000001,0.9]}]""");

        Assert.Equal(ShadowResults.Agree, InferResponseComparer.RestCompare(a, null, b, null, 1e-5));
    }

    [Theory]
    [InlineData("""[{"name":"p","datatype":"FP32","shape":[1,2],"data":[0.2,0.8]}]""")]
    [InlineData("""[{"name":"p","datatype":"FP64","shape":[1,2],"data":[0.1,0.9]}]""")]
    [InlineData("""[{"name":"p","datatype":"FP32","shape":[2,1],"data":[0.1,0.9]}]""")]
    [InlineData("""[{"name":"q","datatype":"FP32","shape":[1,2],"data":[0.1,0.9]}]""")]
    [InlineData("""[]""")]
    public void RestCompare_DifferentOutputs_Disagree(string other)
    {
        var a = Rest("1", """[{"name":"p","datatype":"FP32","shape":[1,2],"data":[0.1,0.9]}]""");

        Assert.NotEqual(ShadowResults.Agree, InferResponseComparer.RestCompare(a, null, Rest("2", other), null, 1e-5));
    }

    [Fact]
    public void RestCompare_BinaryTails_ComparedExactly()
    {
        var json = """{"model_name":"m","outputs":[{"name":"p","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":4}}]}""";
        var head = Encoding.UTF8.GetBytes(json);
        byte[] Body(byte last) => [.. head, 1, 2, 3, last];

        Assert.Equal(ShadowResults.Agree, InferResponseComparer.RestCompare(Body(4), head.Length, Body(4), head.Length, 0));
        Assert.NotEqual(ShadowResults.Agree, InferResponseComparer.RestCompare(Body(4), head.Length, Body(5), head.Length, 0));
    }

    [Fact]
    public void RestCompare_NotJson_Disagree()
    {
        Assert.NotEqual(ShadowResults.Agree, InferResponseComparer.RestCompare("{"u8.ToArray(), null, "{}"u8.ToArray(), null, 0));
    }

    [Fact]
    public void GrpcCompare_AnUnreadableAnswer_IsThatSidesError_NotADisagreement()
    {
        var good = Grpc("1", "a", [1f]);
        byte[][] unreadable = [[], [0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0, 100, 0x0A], [1, 0, 0, 0, 0]];

        foreach (var bad in unreadable)
        {
            Assert.Equal(ShadowResults.ShadowError, InferResponseComparer.GrpcCompare(good, bad, 1e-5));
            Assert.Equal(ShadowResults.PrimaryError, InferResponseComparer.GrpcCompare(bad, good, 1e-5));
        }

        Assert.Equal(ShadowResults.Disagree, InferResponseComparer.GrpcCompare(good, new byte[5], 1e-5)); // a valid answer with no outputs
        Assert.Equal(ShadowResults.Agree, InferResponseComparer.GrpcCompare(good, Grpc("2", "b", [1f]), 1e-5));
    }

    /// <summary>
    /// A header length past the body, or outputs that are not an array of objects, threw out of the comparison (the copy was
    /// counted nowhere, and a warning logged); JSON that is no answer was a disagreement.
    /// </summary>
    [Theory]
    [InlineData("""{"outputs": []}""", 99999)]
    [InlineData("""{"outputs": 5}""", null)]
    [InlineData("""{"outputs": [5]}""", null)]
    [InlineData("""[1, 2]""", null)]
    [InlineData("""{"error": "failed"}""", null)]
    [InlineData("""<html>not an answer</html>""", null)]
    public void RestCompare_AnUnreadableAnswer_IsThatSidesError_NotADisagreement(string body, int? headerLength)
    {
        var good = Rest("1", """[{"name":"p","datatype":"FP32","shape":[1,2],"data":[0.1,0.9]}]""");
        var bad = Encoding.UTF8.GetBytes(body);

        Assert.Equal(ShadowResults.ShadowError, InferResponseComparer.RestCompare(good, null, bad, headerLength, 1e-5));
        Assert.Equal(ShadowResults.PrimaryError, InferResponseComparer.RestCompare(bad, headerLength, good, null, 1e-5));
    }

    [Fact]
    public void RestCompare_ReadableAnswers_AgreeOrDisagree()
    {
        var good = Rest("1", """[{"name":"p","datatype":"FP32","shape":[1,2],"data":[0.1,0.9]}]""");

        Assert.Equal(ShadowResults.Agree, InferResponseComparer.RestCompare(good, null, Rest("2", """[{"name":"p","datatype":"FP32","shape":[1,2],"data":[0.1,0.9]}]"""), null, 1e-5));
        Assert.Equal(ShadowResults.Disagree, InferResponseComparer.RestCompare(good, null, Rest("2", "[]"), null, 1e-5));
        Assert.Equal(ShadowResults.Disagree, InferResponseComparer.RestCompare(good, null, Rest("2", """[{"name": 5}]"""), null, 1e-5));
        Assert.Equal(ShadowResults.Disagree, InferResponseComparer.RestCompare(good, null, Rest("2", """[{"name":"p","datatype":"FP32","shape":[1,2],"data":[1e400,0.9]}]"""), null, 1e-5));
    }

    private static byte[] Grpc(string version, string id, float[] values, bool raw = true, string name = "probabilities")
    {
        var response = new ModelInferResponse { ModelName = "m", ModelVersion = version, Id = id };
        var output = new ModelInferResponse.Types.InferOutputTensor { Name = name, Datatype = "FP32" };
        output.Shape.AddRange([1, values.Length]);
        if (raw)
        {
            response.RawOutputContents.Add(ByteString.CopyFrom(values.SelectMany(BitConverter.GetBytes).ToArray()));
        }
        else
        {
            output.Contents = new InferTensorContents();
            output.Contents.Fp32Contents.AddRange(values);
        }

        response.Outputs.Add(output);
        return Frames.Frame(response.ToByteArray());
    }

    private static byte[] Rest(string version, string outputs) =>
        Encoding.UTF8.GetBytes($$"""{"model_name":"m","model_version":"{{version}}","id":"x","outputs":{{outputs}}}""");
}
