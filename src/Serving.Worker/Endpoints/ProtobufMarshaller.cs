using System.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace Serving.Worker.Endpoints;

/// <summary>
/// A protobuf marshaller that reports an unparseable request as INVALID_ARGUMENT (grpc-dotnet's
/// generated one surfaces it as UNKNOWN "Exception was thrown by handler"); <paramref name="malformed"/>, if any, is
/// called for each such message before the call fails.
/// </summary>
internal static class ProtobufMarshaller
{
    /// <summary>Looks at a message's bytes before it is decoded; throws the call's refusal to stop it.</summary>
    public delegate void Check(in ReadOnlySequence<byte> message);

    public static Marshaller<T> Create<T>(MessageParser<T> parser, Action? malformed = null, Check? before = null)
        where T : class, IMessage<T> =>
        new(
            (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context =>
            {
                var payload = context.PayloadAsReadOnlySequence();
                before?.Invoke(payload);
                try
                {
                    return parser.ParseFrom(payload);
                }
                catch (InvalidProtocolBufferException e)
                {
                    malformed?.Invoke();
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"malformed {typeof(T).Name} protobuf: {e.Message}"));
                }
            });
}
