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
    public static Marshaller<T> Create<T>(MessageParser<T> parser, Action? malformed = null)
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
                try
                {
                    return parser.ParseFrom(context.PayloadAsReadOnlySequence());
                }
                catch (InvalidProtocolBufferException e)
                {
                    malformed?.Invoke();
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"malformed {typeof(T).Name} protobuf: {e.Message}"));
                }
            });
}
