using Google.Protobuf;
using Grpc.Core;

namespace Serving.Worker.Endpoints;

/// <summary>
/// A protobuf marshaller that reports an unparseable request as INVALID_ARGUMENT (grpc-dotnet's
/// generated one surfaces it as UNKNOWN "Exception was thrown by handler").
/// </summary>
internal static class ProtobufMarshaller
{
    public static Marshaller<T> Create<T>(MessageParser<T> parser)
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
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"malformed {typeof(T).Name} protobuf: {e.Message}"));
                }
            });
}
