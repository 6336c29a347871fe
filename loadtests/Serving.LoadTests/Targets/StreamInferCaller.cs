using System.Buffers.Text;

namespace Serving.LoadTests.Targets;

/// <summary>
/// One caller on a <see cref="StreamConnection"/>: its message is the pre-serialized request with an <c>id</c> field
/// appended (protobuf's last occurrence wins), rewritten in place with each request's sequence number.
/// </summary>
internal sealed class StreamInferCaller : IInferCaller
{
    private readonly StreamConnection _connection;
    private readonly byte[] _message;
    private uint _sequence;
    private TaskCompletionSource<CallOutcome>? _answer;

    public StreamInferCaller(StreamConnection connection, int index, byte[] payload)
    {
        _connection = connection;
        Index = index;
        _message = new byte[payload.Length + 2 + StreamConnection.IdLength];
        payload.CopyTo(_message, 0);
        _message[payload.Length] = 0x1a; // field 3 (id), length-delimited
        _message[payload.Length + 1] = StreamConnection.IdLength;
        Utf8Formatter.TryFormat((uint)index, _message.AsSpan(payload.Length + 2, 8), out _, new System.Buffers.StandardFormat('x', 8));
    }

    /// <summary>The caller's number on its stream.</summary>
    public int Index { get; }

    /// <inheritdoc />
    public async ValueTask<CallOutcome> CallAsync(CancellationToken cancellationToken)
    {
        var sequence = ++_sequence;
        Utf8Formatter.TryFormat(sequence, _message.AsSpan(_message.Length - 8), out _, new System.Buffers.StandardFormat('x', 8));
        var answer = new TaskCompletionSource<CallOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _answer, answer);
        try
        {
            if (await _connection.SendAsync(this, _message, cancellationToken).ConfigureAwait(false) is { } failed)
            {
                return failed;
            }

            using (cancellationToken.Register(static a => ((TaskCompletionSource<CallOutcome>)a!).TrySetResult(CallOutcome.CancelledAtStop), answer))
            {
                var outcome = await answer.Task.ConfigureAwait(false);
                if (outcome.Kind == OutcomeKind.CancelledAtStop)
                {
                    _connection.Abandon(this);
                }

                return outcome;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _connection.Abandon(this);
            return CallOutcome.CancelledAtStop;
        }
    }

    /// <summary>The answer to request <paramref name="sequence"/> arrived (an older one's is ignored).</summary>
    public void Complete(uint sequence, CallOutcome outcome)
    {
        if (sequence == _sequence)
        {
            Volatile.Read(ref _answer)?.TrySetResult(outcome);
        }
    }

    /// <summary>The stream broke while this caller waited.</summary>
    public void Fail(CallOutcome outcome) => Volatile.Read(ref _answer)?.TrySetResult(outcome);
}
