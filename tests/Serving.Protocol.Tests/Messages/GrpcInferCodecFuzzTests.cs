using System.Collections;
using Google.Protobuf;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Messages;

/// <summary>
/// Mutation fuzz of <see cref="GrpcInferCodec.Decode"/>: valid requests with their fields changed (shapes, datatypes,
/// raw entries, contents, names, classification counts) and their bytes changed, read by Google.Protobuf, are decoded to
/// exactly what the message holds, or refused as a caller's error (INVALID_ARGUMENT, RESOURCE_EXHAUSTED); nothing else.
/// </summary>
public sealed class GrpcInferCodecFuzzTests
{
    // Mutated requests per run: 20,000 in CI; set GRPC_CODEC_FUZZ_ITERATIONS for a longer search (200,000 took 5 s).
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("GRPC_CODEC_FUZZ_ITERATIONS"), out var n) ? n : 20_000;

    private static readonly string[] WireTypes = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "BF16", "FP32", "FP64", "BYTES", "fp32", "", "STRING"];

    [Fact]
    public void Decode_MutatedRequests_WhatTheMessageHolds_OrACallersError()
    {
        var random = new Random(47);
        var (decoded, refused, unparsed) = (0, 0, 0);
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = Request(random).ToByteArray();
            if (random.Next(2) == 0)
            {
                bytes = FuzzInputs.Mutate(bytes, random);
            }

            ModelInferRequest message;
            try
            {
                message = ModelInferRequest.Parser.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException)
            {
                unparsed++;
                continue;
            }

            var limit = FuzzInputs.Limits[random.Next(FuzzInputs.Limits.Length)];
            using var request = FuzzInputs.ReadOrRefuse(() => GrpcInferCodec.Decode(message, limit), () => $"limit {limit}, message {Convert.ToBase64String(bytes)}");
            if (request is null)
            {
                refused++;
                continue;
            }

            AssertHolds(message, request, limit);
            decoded++;
        }

        Assert.True(decoded > Iterations / 5, $"decoded {decoded}");
        Assert.True(refused > Iterations / 5, $"refused {refused}, unparsed {unparsed}");
    }

    private static void AssertHolds(ModelInferRequest message, InferenceRequest request, long limit)
    {
        Assert.Equal((message.ModelName, message.ModelVersion, message.Id), (request.ModelName, request.ModelVersion, request.Id));
        Assert.Equal(message.RawInputContents.Count > 0, request.RawOutput);
        Assert.Equal(message.Inputs.Count, request.Inputs.Count);
        Assert.Equal(message.Inputs.Count, request.Inputs.Select(t => t.Name).Distinct(StringComparer.Ordinal).Count());
        for (var i = 0; i < message.Inputs.Count; i++)
        {
            var (input, tensor) = (message.Inputs[i], request.Inputs[i]);
            Assert.Equal(input.Name, tensor.Name);
            Assert.False(string.IsNullOrEmpty(tensor.Name));
            Assert.True(DataTypes.TryParse(input.Datatype, out var type));
            Assert.Equal(type, tensor.DataType);
            Assert.Equal(input.Shape, tensor.Shape);
            Assert.All(tensor.Shape, d => Assert.True(d >= 0));
            var count = tensor.ElementCount;
            Assert.InRange(count, 0, limit);
            if (type == DataType.Bytes)
            {
                Assert.Equal(count, tensor.Elements!.Length);
            }
            else
            {
                Assert.Equal(count * type.ElementSize(), tensor.Data.Length);
            }

            if (message.RawInputContents.Count > 0)
            {
                Assert.Equal(message.RawInputContents[i].ToByteArray(), RawContentsCodec.ToArray(tensor));
            }
            else
            {
                Assert.Equal(Values(type, input.Contents ?? new InferTensorContents()), Values(type, TypedContentsCodec.Encode(tensor)));
            }
        }

        Assert.Equal(message.Outputs.Select(o => o.Name), request.Outputs.Select(o => o.Name));
        Assert.All(request.Outputs, o => Assert.InRange(o.Classification, 0, RequestedOutput.MaxClassification));
        Assert.Equal(message.Parameters.Count(p => p.Value.ParameterChoiceCase != InferParameter.ParameterChoiceOneofCase.None), request.Parameters.Count);
    }

    // The contents field a datatype reads, as boxed values (NaN equals NaN).
    private static object[] Values(DataType type, InferTensorContents c) => ((IEnumerable)(type switch
    {
        DataType.Bool => c.BoolContents,
        DataType.Int8 or DataType.Int16 or DataType.Int32 => c.IntContents,
        DataType.Int64 => c.Int64Contents,
        DataType.UInt8 or DataType.UInt16 or DataType.UInt32 => c.UintContents,
        DataType.UInt64 => c.Uint64Contents,
        DataType.FP32 => c.Fp32Contents,
        DataType.FP64 => c.Fp64Contents,
        _ => (IEnumerable)c.BytesContents,
    })).Cast<object>().ToArray();

    // A valid request (raw or typed), then sometimes a field of it changed.
    private static ModelInferRequest Request(Random random)
    {
        var raw = random.Next(2) == 0;
        var message = new ModelInferRequest { ModelName = "m", ModelVersion = random.Next(3).ToString(System.Globalization.CultureInfo.InvariantCulture), Id = random.Next(2) == 0 ? "" : "id" };
        for (var i = random.Next(4); i > 0; i--)
        {
            using var tensor = FuzzInputs.Tensor(random, "in" + i, typedOnly: !raw);
            var input = new ModelInferRequest.Types.InferInputTensor { Name = tensor.Name, Datatype = tensor.DataType.ToWire() };
            input.Shape.AddRange(tensor.Shape);
            if (raw)
            {
                message.RawInputContents.Add(ByteString.CopyFrom(RawContentsCodec.ToArray(tensor)));
            }
            else
            {
                input.Contents = TypedContentsCodec.Encode(tensor);
            }

            message.Inputs.Add(input);
        }

        for (var o = random.Next(3); o > 0; o--)
        {
            var output = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "out" + o };
            if (random.Next(2) == 0)
            {
                output.Parameters[RequestedOutput.ClassificationParameter] = ClassificationParameter(random);
            }

            message.Outputs.Add(output);
        }

        message.Parameters["timeout"] = random.Next(3) switch
        {
            0 => new InferParameter { Int64Param = random.NextInt64() },
            1 => new InferParameter { StringParam = "x" },
            _ => new InferParameter(),
        };
        for (var m = random.Next(3); m > 0; m--)
        {
            Change(message, random);
        }

        return message;
    }

    private static InferParameter ClassificationParameter(Random random) => random.Next(5) switch
    {
        0 => new InferParameter { Int64Param = random.Next(-2, 6) },
        1 => new InferParameter { Int64Param = random.Next(2) == 0 ? long.MinValue : long.MaxValue },
        2 => new InferParameter { Uint64Param = random.Next(2) == 0 ? ulong.MaxValue : 3 },
        3 => new InferParameter { StringParam = "3" },
        _ => new InferParameter { Int64Param = RequestedOutput.MaxClassification + random.Next(-1, 2) },
    };

    // One field changed: what a careless or hostile client might send.
    private static void Change(ModelInferRequest message, Random random)
    {
        var input = message.Inputs.Count == 0 ? null : message.Inputs[random.Next(message.Inputs.Count)];
        switch (random.Next(9))
        {
            case 0 when input is not null:
                if (input.Shape.Count == 0 || random.Next(4) == 0)
                {
                    input.Shape.Add(FuzzInputs.OddDims[random.Next(FuzzInputs.OddDims.Length)]);
                }
                else
                {
                    input.Shape[random.Next(input.Shape.Count)] = FuzzInputs.OddDims[random.Next(FuzzInputs.OddDims.Length)];
                }

                break;
            case 1 when input is not null:
                input.Datatype = WireTypes[random.Next(WireTypes.Length)];
                break;
            case 2 when message.RawInputContents.Count > 0:
                message.RawInputContents.RemoveAt(random.Next(message.RawInputContents.Count));
                break;
            case 3:
                var bytes = new byte[random.Next(3) == 0 ? 4 : random.Next(40)];
                random.NextBytes(bytes);
                message.RawInputContents.Add(ByteString.CopyFrom(bytes));
                break;
            case 4 when input is not null:
                input.Contents ??= new InferTensorContents();
                input.Contents.Fp32Contents.Add(1f);
                input.Contents.IntContents.Add(random.Next(2) == 0 ? int.MinValue : 200);
                input.Contents.UintContents.Add(uint.MaxValue);
                input.Contents.BytesContents.Add(ByteString.CopyFromUtf8("b"));
                break;
            case 5 when input?.Contents is { } contents:
                contents.IntContents.Clear();
                contents.Int64Contents.Clear();
                contents.BytesContents.Clear();
                break;
            case 6 when input is not null:
                input.Name = random.Next(2) == 0 ? "" : message.Inputs[0].Name;
                break;
            case 7:
                message.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = random.Next(2) == 0 ? "" : "o", Parameters = { [RequestedOutput.ClassificationParameter] = ClassificationParameter(random) } });
                break;
            default:
                message.Parameters["p" + random.Next(3)] = new InferParameter { DoubleParam = random.Next(2) == 0 ? double.NaN : double.MaxValue };
                break;
        }
    }
}
