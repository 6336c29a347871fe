using System.Net.Http;
using System.Runtime.CompilerServices;
using Grpc.Core;

namespace Serving.LoadTests.Targets;

/// <summary>A caller bound to one channel, sending the pre-serialized request.</summary>
internal sealed class GrpcInferCaller(CallInvoker invoker, byte[] payload, ErrorSamples errors) : IInferCaller
{
    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<CallOutcome> CallAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var call = invoker.AsyncUnaryCall(PreserializedInferMethod.ModelInfer, null, new CallOptions(cancellationToken: cancellationToken), payload);
            await call.ResponseAsync.ConfigureAwait(false);
            return CallOutcome.Ok;
        }
        catch (RpcException e) when (cancellationToken.IsCancellationRequested && e.StatusCode == StatusCode.Cancelled)
        {
            return CallOutcome.CancelledAtStop;
        }
        catch (RpcException e)
        {
            // Grpc.Net.Client reports a failed connection as UNAVAILABLE; tell it apart from a server that answered UNAVAILABLE.
            return errors.Record(
                e.Status.DebugException is HttpRequestException http ? CallOutcome.Transport(http.HttpRequestError) : CallOutcome.Grpc(e.StatusCode),
                e);
        }
    }
}
