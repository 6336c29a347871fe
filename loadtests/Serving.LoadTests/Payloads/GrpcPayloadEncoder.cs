using Google.Protobuf;
using Serving.Protocol.Inference;
using Serving.Protocol.Tensors;

namespace Serving.LoadTests.Payloads;

/// <summary>Encodes the payload once as a <see cref="ModelInferRequest"/> with raw contents, as Triton's clients send it.</summary>
internal static class GrpcPayloadEncoder
{
    /// <summary>The message.</summary>
    public static ModelInferRequest ToMessage(InferPayload payload)
    {
        var message = new ModelInferRequest { ModelName = payload.Model, ModelVersion = payload.ModelVersion };
        foreach (var input in payload.Inputs)
        {
            var tensor = new ModelInferRequest.Types.InferInputTensor { Name = input.Name, Datatype = input.DataType.ToWire() };
            tensor.Shape.AddRange(input.Shape);
            message.Inputs.Add(tensor);
            message.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(RawContentsCodec.ToArray(input)));
        }

        return message;
    }

    /// <summary>The protobuf bytes, ready to go on the wire unchanged for every call.</summary>
    public static byte[] Encode(InferPayload payload) => ToMessage(payload).ToByteArray();
}
