using Grpc.Core;
using Microsoft.Extensions.Logging;
using Serving.Hosting.Http;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;
using Serving.Worker.Inference;

namespace Serving.Worker.Endpoints;

/// <summary>
/// One ModelStreamInfer call (Triton's streaming infer): each request on the stream runs as it arrives, through the
/// same path as ModelInfer (its version's batcher), and its answer is written when it is ready, so answers may come in
/// another order than their requests (callers match them by id). A request that fails gets its reason in
/// <c>error_message</c> and the stream goes on. At most <see cref="MaxInFlight"/> requests of one stream run at once;
/// past that the stream is not read (HTTP/2 flow control holds the caller). When the caller ends its side, the answers
/// still owed are written before the call ends. A message that cannot be read (not protobuf, cut short by the end of the
/// stream, over the size limit) ends the call with its status, after those answers. When the worker shuts down (its
/// grace period over), it stops reading, writes the answers owed, and ends the call UNAVAILABLE, so the caller opens a
/// new stream elsewhere instead of holding the drain; the requests it sent that got no answer never ran.
/// </summary>
internal sealed partial class InferStream(
    InferenceService inference,
    long maxElementsPerTensor,
    ServerCallContext context,
    IServerStreamWriter<ModelStreamInferResponse> writer,
    CancellationToken draining,
    ILogger logger)
{
    /// <summary>Requests of one stream running at once.</summary>
    public const int MaxInFlight = 128;

    /// <summary>Triton's request parameter asking each answer to say whether it is the request's last.</summary>
    public const string EnableFinalResponse = "triton_enable_empty_final_response";

    /// <summary>Triton's answer parameter saying so.</summary>
    public const string FinalResponse = "triton_final_response";

    /// <summary>How a stream ends when the worker shuts down.</summary>
    public const string ShuttingDown = "the worker is shutting down: open a new stream; requests on this one that got no answer did not run";

    private readonly SemaphoreSlim _slots = new(MaxInFlight, MaxInFlight);
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public async Task RunAsync(IAsyncStreamReader<ModelInferRequest> requests)
    {
        var cancellationToken = context.CancellationToken;
        var deadline = GrpcDeadline.Of(context);
        var hints = GatewayHints.FromStream(context.GetHttpContext().Request.Headers);
        Exception? failure = null;
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, draining);
        try
        {
            // The headers go first, before any answer can be written: grpc-dotnet ends a call whose deadline passed by
            // setting its status in the headers while the response hasn't started, and an answer written on another
            // thread meanwhile (one the batcher expired at the same deadline) made that throw ("Headers are read-only"):
            // it logged an error and never ended the call nor cancelled its token, so the stream hung.
            await context.WriteResponseHeadersAsync(new Metadata()).ConfigureAwait(false);
            while (true)
            {
                await _slots.WaitAsync(reading.Token).ConfigureAwait(false);
                bool more;
                try
                {
                    more = await requests.MoveNext(reading.Token).ConfigureAwait(false);
                }
                catch
                {
                    _slots.Release();
                    throw;
                }

                if (!more)
                {
                    _slots.Release();
                    break;
                }

                _ = RunOneAsync(requests.Current, hints, deadline, cancellationToken);
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Internal && !cancellationToken.IsCancellationRequested)
        {
            // grpc-dotnet's framing: a stream that ends part way through a message ("Incomplete message."), or a compressed
            // message without a grpc-encoding. The caller's bytes, not the worker's fault: INVALID_ARGUMENT, as for ModelInfer.
            failure = new RpcException(new Status(StatusCode.InvalidArgument, $"a message of the stream could not be read ({e.Status.Detail.TrimEnd('.')})"));
        }
        catch (RpcException e)
        {
            failure = e; // an unreadable message: its status, once the answers owed are out
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested && e.Message.StartsWith("Message too large", StringComparison.Ordinal))
        {
            // grpc-dotnet's framing, a message header declaring 2 GiB or more (told apart from a caller that went away,
            // also an IOException, by its text): it was UNKNOWN "Exception was thrown by handler".
            failure = new RpcException(new Status(StatusCode.ResourceExhausted, "a message's gRPC frame header declares a length of 2 GiB or more: over the size allowed (Serving:Worker:MaxRequestBytes)"));
        }
        catch (InvalidDataException e) when (!cancellationToken.IsCancellationRequested)
        {
            // grpc-dotnet's framing: a compressed flag other than 0 or 1, or a message its grpc-encoding can't inflate.
            failure = new RpcException(new Status(StatusCode.InvalidArgument, $"a message of the stream could not be read ({e.Message.TrimEnd('.')})"));
        }
        catch (Exception e) when ((e is OperationCanceledException or IOException
            && (cancellationToken.IsCancellationRequested || CallerGone.WhileReadingBody(context.GetHttpContext(), e)))
            || (e is InvalidOperationException && context.GetHttpContext().RequestAborted.IsCancellationRequested))
        {
            // The caller went away or the deadline passed: the requests still running are cancelled with it. Kestrel may
            // fail the read of a reset stream ("The client reset the request stream") before it cancels the call's token;
            // and grpc-dotnet's reader, asked for the next message once the request is aborted but before the call's token
            // is cancelled, throws InvalidOperationException "Can't read messages after the request is complete." Let out,
            // each was grpc-dotnet's Error "Error when executing service method".
        }
        catch (OperationCanceledException) when (draining.IsCancellationRequested)
        {
            failure = new RpcException(new Status(StatusCode.Unavailable, ShuttingDown));
        }
        finally
        {
            for (var i = 0; i < MaxInFlight; i++)
            {
                await _slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        if (failure is not null)
        {
            throw failure;
        }
    }

    private async Task RunOneAsync(ModelInferRequest message, GatewayHints hints, long deadline, CancellationToken cancellationToken)
    {
        try
        {
            ModelStreamInferResponse answer;
            var finalFlag = false;
            var inferring = false; // from InferAsync on, the service counts the request
            try
            {
                finalFlag = FinalResponseFlag(message);
                using var decoded = GrpcInferCodec.Decode(message, maxElementsPerTensor);
                inferring = true;
                using var response = await inference.InferAsync(decoded, "grpc", deadline, cancellationToken, hints).ConfigureAwait(false);
                answer = new ModelStreamInferResponse { InferResponse = GrpcInferCodec.Encode(response, decoded.RawOutput) };
            }
            catch (InferenceException e)
            {
                if (!inferring)
                {
                    inference.Refused(message.ModelName, "grpc", e.Code.ToString());
                }

                answer = Failed(message, e.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return; // the call is over: nobody to answer
            }
            catch (Exception e)
            {
                Log.RequestFailed(logger, message.ModelName, message.Id, e);
                answer = Failed(message, "the worker failed on this request: " + e.Message);
            }

            if (finalFlag)
            {
                // Every answer here is its request's only one, so its last.
                answer.InferResponse.Parameters[FinalResponse] = new InferParameter { BoolParam = true };
            }

            await WriteAsync(answer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task WriteAsync(ModelStreamInferResponse answer, CancellationToken cancellationToken)
    {
        try
        {
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            await writer.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The caller went away or reset the stream: the answer has nowhere to go, and the call is over.
        }
        catch (Exception e)
        {
            Log.WriteFailed(logger, e);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    // Triton's triton_enable_empty_final_response (tritonclient's enable_empty_final_response=True, for decoupled models):
    // then each answer says whether it is its request's last. Any other type than bool is refused, as Triton does.
    private static bool FinalResponseFlag(ModelInferRequest message)
    {
        if (!message.Parameters.TryGetValue(EnableFinalResponse, out var value))
        {
            return false;
        }

        return value.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.BoolParam
            ? value.BoolParam
            : throw InferenceException.Invalid($"invalid value type for '{EnableFinalResponse}' parameter, expected bool_param");
    }

    // Triton's form: the reason, and the request's model, version and id so the caller can tell which request failed.
    private static ModelStreamInferResponse Failed(ModelInferRequest message, string reason) => new()
    {
        ErrorMessage = reason,
        InferResponse = new ModelInferResponse { ModelName = message.ModelName, ModelVersion = message.ModelVersion, Id = message.Id },
    };

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "A ModelStreamInfer request for model '{Model}' (id '{Id}') failed unexpectedly")]
        public static partial void RequestFailed(ILogger logger, string model, string id, Exception exception);

        [LoggerMessage(2, LogLevel.Error, "Writing a ModelStreamInfer answer failed unexpectedly; the answer is dropped")]
        public static partial void WriteFailed(ILogger logger, Exception exception);
    }
}
