using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Core;
using Serving.Protocol.Inference;

namespace Serving.LoadTests.Targets;

/// <summary>
/// One ModelStreamInfer stream on one channel, shared by its callers: writes go one at a time, one reader matches
/// answers to callers by id (<c>{caller:x8}{sequence:x8}</c>, so an answer to a caller's earlier, abandoned request
/// is told apart). Opened on the first write and again after it breaks.
/// </summary>
internal sealed class StreamConnection(CallInvoker invoker, ErrorSamples errors) : IDisposable
{
    /// <summary>The characters of an id: the caller's index and its request's sequence number, 8 hex digits each.</summary>
    public const int IdLength = 16;

    private static readonly Marshaller<byte[]> Bytes = new(b => b, b => b);

    private static readonly Method<byte[], byte[]> Method =
        new(MethodType.DuplexStreaming, "inference.GRPCInferenceService", "ModelStreamInfer", Bytes, Bytes);

    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentDictionary<int, StreamInferCaller> _waiting = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _callers = new();
    private int _nextCaller;
    private AsyncDuplexStreamingCall<byte[], byte[]>? _call;

    /// <summary>A new caller on this stream, sending <paramref name="payload"/> with its own ids.</summary>
    public StreamInferCaller Add(byte[] payload)
    {
        lock (_callers)
        {
            return new StreamInferCaller(this, _nextCaller++, payload);
        }
    }

    /// <summary>Writes <paramref name="message"/> for <paramref name="caller"/>, which then waits for its answer.</summary>
    public async ValueTask<CallOutcome?> SendAsync(StreamInferCaller caller, byte[] message, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var call = _call ??= Open();
            _waiting[caller.Index] = caller;
            await call.RequestStream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (RpcException e)
        {
            _waiting.TryRemove(caller.Index, out _);
            _call = null;
            return errors.Record(Outcome(e), e);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // The call ended (the server closed it) between two writes: the reader fails its waiters; open anew.
            _waiting.TryRemove(caller.Index, out _);
            _call = null;
            return errors.Record(CallOutcome.Transport(HttpRequestError.Unknown), e);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Forgets that <paramref name="caller"/> waits (its request was abandoned at the stop).</summary>
    public void Abandon(StreamInferCaller caller) => _waiting.TryRemove(new KeyValuePair<int, StreamInferCaller>(caller.Index, caller));

    public void Dispose()
    {
        _disposed.Cancel();
        _call?.Dispose();
        _disposed.Dispose();
    }

    private AsyncDuplexStreamingCall<byte[], byte[]> Open()
    {
        var call = invoker.AsyncDuplexStreamingCall(Method, null, new CallOptions(cancellationToken: _disposed.Token));
        _ = ReadAsync(call);
        return call;
    }

    private async Task ReadAsync(AsyncDuplexStreamingCall<byte[], byte[]> call)
    {
        var ended = CallOutcome.Grpc(StatusCode.Unavailable);
        Exception why = new RpcException(new Status(StatusCode.Unavailable, "the server ended the stream while requests were waiting"));
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                var answer = ModelStreamInferResponse.Parser.ParseFrom(call.ResponseStream.Current);
                if (!TryParseId(answer.InferResponse?.Id, out var index, out var sequence) || !_waiting.TryRemove(index, out var caller))
                {
                    continue;
                }

                caller.Complete(sequence, answer.ErrorMessage.Length == 0
                    ? CallOutcome.Ok
                    : errors.Record(CallOutcome.StreamError, new StreamAnswerException(answer.ErrorMessage)));
            }
        }
        catch (RpcException e)
        {
            (ended, why) = (Outcome(e), e);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            (ended, why) = (CallOutcome.Transport(HttpRequestError.Unknown), e);
        }

        // The stream is over: whoever still waits on it will get no answer. A new one opens on the next write.
        await _writeGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (ReferenceEquals(_call, call))
            {
                _call = null;
            }

            foreach (var (index, caller) in _waiting)
            {
                if (_waiting.TryRemove(index, out _))
                {
                    caller.Fail(errors.Record(ended, why));
                }
            }
        }
        finally
        {
            _writeGate.Release();
            call.Dispose();
        }
    }

    private static CallOutcome Outcome(RpcException e) =>
        e.Status.DebugException is HttpRequestException http ? CallOutcome.Transport(http.HttpRequestError) : CallOutcome.Grpc(e.StatusCode);

    private static bool TryParseId(string? id, out int index, out uint sequence)
    {
        index = 0;
        sequence = 0;
        if (id is not { Length: IdLength }
            || !uint.TryParse(id.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var caller)
            || !uint.TryParse(id.AsSpan(8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out sequence)
            || caller > int.MaxValue)
        {
            return false;
        }

        index = (int)caller;
        return true;
    }
}

/// <summary>A request on a stream answered with an <c>error_message</c>: the message, for the report's error samples.</summary>
internal sealed class StreamAnswerException(string message) : Exception(message);
