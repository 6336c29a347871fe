using Google.Protobuf;
using Google.Protobuf.Collections;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Tensors;

namespace Serving.Protocol.Messages;

/// <summary>Converts gRPC <see cref="ModelInferRequest"/>/<see cref="ModelInferResponse"/> to and from the common form.</summary>
public static class GrpcInferCodec
{
    /// <summary>Decodes a gRPC infer request; tensors over raw contents share the message's memory.</summary>
    public static InferenceRequest Decode(ModelInferRequest message, long maxElementsPerTensor)
    {
        var raw = message.RawInputContents;
        if (raw.Count > 0 && raw.Count != message.Inputs.Count)
        {
            throw InferenceException.Invalid($"raw_input_contents has {raw.Count} entries but the request has {message.Inputs.Count} inputs");
        }

        var inputs = new List<InferTensor>(message.Inputs.Count);
        var request = new InferenceRequest(message.ModelName, message.ModelVersion, message.Id, inputs) { RawOutput = raw.Count > 0 };
        var names = default(TensorNameSet);
        try
        {
            for (var i = 0; i < message.Inputs.Count; i++)
            {
                var input = message.Inputs[i];
                CheckName(input.Name, inputs, ref names);
                if (!DataTypes.TryParse(input.Datatype, out var type))
                {
                    throw InferenceException.Invalid($"input '{input.Name}': unknown datatype '{input.Datatype}'");
                }

                var shape = input.Shape.ToArray();
                var count = Shapes.CheckedElementCount(input.Name, shape, maxElementsPerTensor);
                if (raw.Count > 0)
                {
                    if (input.Contents is not null && HasAny(input.Contents))
                    {
                        throw InferenceException.Invalid($"input '{input.Name}': contents must be empty when raw_input_contents is used");
                    }

                    inputs.Add(RawContentsCodec.Decode(input.Name, type, shape, count, raw[i].Memory));
                }
                else
                {
                    inputs.Add(TypedContentsCodec.Decode(input.Name, type, shape, count, input.Contents));
                }
            }

            foreach (var output in message.Outputs)
            {
                request.Outputs.Add(new RequestedOutput(output.Name, null, ClassCount(output)));
            }

            CopyParameters(message.Parameters, request.Parameters);
            return request;
        }
        catch
        {
            request.Dispose();
            throw;
        }
    }

    /// <summary>True when the response travels in raw output contents: the request was raw, or an output can only travel raw.</summary>
    public static bool UsesRaw(InferenceResponse response, bool rawRequested)
    {
        if (rawRequested)
        {
            return true;
        }

        foreach (var output in response.Outputs)
        {
            if (TypedContentsCodec.NeedsRaw(output.DataType))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Encodes a response, raw when <see cref="UsesRaw"/> says so (<see cref="GrpcInferResponseWriter"/> writes that form without the message).</summary>
    public static ModelInferResponse Encode(InferenceResponse response, bool raw)
    {
        var message = new ModelInferResponse
        {
            ModelName = response.ModelName,
            ModelVersion = response.ModelVersion,
            Id = response.Id ?? string.Empty,
        };
        raw = UsesRaw(response, raw);
        foreach (var output in response.Outputs)
        {
            var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = output.Name, Datatype = output.DataType.ToWire() };
            tensor.Shape.AddRange(output.Shape);
            if (raw)
            {
                message.RawOutputContents.Add(UnsafeByteOperations.UnsafeWrap(RawContentsCodec.ToArray(output)));
            }
            else
            {
                tensor.Contents = TypedContentsCodec.Encode(output);
            }

            message.Outputs.Add(tensor);
        }

        foreach (var (key, value) in response.Parameters)
        {
            message.Parameters[key] = ToParameter(value);
        }

        return message;
    }

    /// <summary>The protocol form of a parameter value.</summary>
    public static InferParameter ToParameter(object value) => value switch
    {
        bool b => new InferParameter { BoolParam = b },
        long l => new InferParameter { Int64Param = l },
        int i => new InferParameter { Int64Param = i },
        ulong u => new InferParameter { Uint64Param = u },
        double d => new InferParameter { DoubleParam = d },
        _ => new InferParameter { StringParam = value.ToString() ?? string.Empty },
    };

    /// <summary>Triton's classification parameter on a requested output (its client sends int64_param).</summary>
    private static int ClassCount(ModelInferRequest.Types.InferRequestedOutputTensor output)
    {
        if (!output.Parameters.TryGetValue(RequestedOutput.ClassificationParameter, out var p))
        {
            return 0;
        }

        return p.ParameterChoiceCase switch
        {
            InferParameter.ParameterChoiceOneofCase.Int64Param => RequestedOutput.ClassCount(output.Name, p.Int64Param),
            InferParameter.ParameterChoiceOneofCase.Uint64Param => RequestedOutput.ClassCount(output.Name, (long)Math.Min(p.Uint64Param, long.MaxValue)),
            _ => throw InferenceException.Invalid($"output '{output.Name}': '{RequestedOutput.ClassificationParameter}' must be an int64_param (a number of classes)"),
        };
    }

    /// <summary>Copies gRPC parameters into a REST-style parameter map (bool, int64, uint64, double, string; other kinds are left out).</summary>
    public static void CopyParameters(MapField<string, InferParameter> source, Dictionary<string, object> target)
    {
        foreach (var (key, p) in source)
        {
            object? value = p.ParameterChoiceCase switch
            {
                InferParameter.ParameterChoiceOneofCase.BoolParam => p.BoolParam,
                InferParameter.ParameterChoiceOneofCase.Int64Param => p.Int64Param,
                InferParameter.ParameterChoiceOneofCase.Uint64Param => p.Uint64Param,
                InferParameter.ParameterChoiceOneofCase.DoubleParam => p.DoubleParam,
                InferParameter.ParameterChoiceOneofCase.StringParam => p.StringParam,
                _ => null,
            };
            if (value is not null)
            {
                target[key] = value;
            }
        }
    }

    private static void CheckName(string name, List<InferTensor> seen, ref TensorNameSet names)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw InferenceException.Invalid("an input has no name");
        }

        if (!names.IsNew(seen, name))
        {
            throw InferenceException.Invalid($"input '{name}' appears more than once");
        }
    }

    private static bool HasAny(InferTensorContents c) =>
        c.BoolContents.Count + c.IntContents.Count + c.Int64Contents.Count + c.UintContents.Count
        + c.Uint64Contents.Count + c.Fp32Contents.Count + c.Fp64Contents.Count + c.BytesContents.Count > 0;
}
