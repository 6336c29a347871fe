using System.Buffers;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;
using Serving.Worker.Endpoints;

namespace Serving.Worker.Tests.Endpoints;

/// <summary>ModelInfer's reply as gRPC serializes it: raw replies written from the response, which is disposed once written.</summary>
public sealed class InferReplyTests
{
    [Fact]
    public void RawReply_WritesTheGeneratedMessagesBytes_ThenDisposesTheResponse()
    {
        var owner = new CountingOwner();
        var response = Response(owner);
        var expected = GrpcInferCodec.Encode(Response(new CountingOwner()), raw: true).ToByteArray();
        var reply = InferReply.Raw(response);

        var written = Serialize(reply);

        Assert.Equal(expected, written.Bytes);
        Assert.Equal(expected.Length, written.DeclaredLength);
        Assert.True(written.Completed);
        Assert.Equal(1, owner.Disposals);

        reply.Dispose(); // as the request's end does: nothing more happens
        Assert.Equal(1, owner.Disposals);
    }

    [Fact]
    public void RawReply_NeverWritten_IsDisposedOnceWithTheRequest()
    {
        var owner = new CountingOwner();
        var reply = InferReply.Raw(Response(owner));

        reply.Dispose();
        reply.Dispose();

        Assert.Equal(1, owner.Disposals);
        Assert.Throws<ObjectDisposedException>(() => Serialize(reply));
    }

    [Fact]
    public void MessageReply_WritesTheMessage()
    {
        var message = GrpcInferCodec.Encode(Response(new CountingOwner()), raw: false);

        var written = Serialize(InferReply.Of(message));

        Assert.Equal(message.ToByteArray(), written.Bytes);
    }

    private static InferenceResponse Response(IDisposable owner)
    {
        float[] values = [0.25f, 0.75f, 0.5f, 0.5f];
        var output = InferTensor.Fixed("probabilities", DataType.FP32, [2, 2], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        var response = new InferenceResponse("tabular", "2", "req-1", [output], owner);
        response.Parameters["features_source"] = "redis";
        return response;
    }

    private static CapturingContext Serialize(InferReply reply)
    {
        var context = new CapturingContext();
        InferReply.Marshaller.ContextualSerializer(reply, context);
        return context;
    }

    private sealed class CountingOwner : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }

    private sealed class CapturingContext : SerializationContext
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();

        public int DeclaredLength { get; private set; } = -1;

        public bool Completed { get; private set; }

        public byte[] Bytes => _buffer.WrittenSpan.ToArray();

        public override void SetPayloadLength(int payloadLength) => DeclaredLength = payloadLength;

        public override IBufferWriter<byte> GetBufferWriter() => _buffer;

        public override void Complete() => Completed = true;

        public override void Complete(byte[] payload) => throw new NotSupportedException();
    }
}
