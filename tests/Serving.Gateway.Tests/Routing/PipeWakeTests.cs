using System.IO.Pipelines;
using Serving.Gateway.Routing;

namespace Serving.Gateway.Tests.Routing;

/// <summary>
/// Waking a body's pending read from a cancellation callback. Kestrel's reader of a stream the client reset throws
/// IOException from CancelPendingRead; thrown from the drain token's callback it failed the gateway's stop
/// (ReadinessState.MarkDraining: "The client reset the request stream", StreamShutdownTests in one CI run).
/// </summary>
public sealed class PipeWakeTests
{
    [Fact]
    public async Task CancelPendingRead_WakesTheReadThatWaits()
    {
        var pipe = new Pipe();
        var read = pipe.Reader.ReadAsync();

        PipeWake.CancelPendingRead(pipe.Reader);

        Assert.True((await read).IsCanceled);
    }

    [Fact]
    public void CancelPendingRead_ReaderOfAResetStream_NothingEscapes()
    {
        using var token = new CancellationTokenSource();
        token.Token.Register(static reader => PipeWake.CancelPendingRead((PipeReader)reader!), new ResetStreamReader());

        token.Cancel(); // a callback's exception would come out of Cancel, as it came out of MarkDraining
    }

    [Fact]
    public void CancelPendingRead_Directly_ResetStreamReaderThrows()
    {
        // What the wake guards against: the reader does throw (else the test above proves nothing).
        Assert.Throws<IOException>(() => new ResetStreamReader().CancelPendingRead());
    }

    // Kestrel's request body reader once the client reset the stream.
    private sealed class ResetStreamReader : PipeReader
    {
        public override void CancelPendingRead() => throw new IOException("The client reset the request stream.");

        public override void AdvanceTo(SequencePosition consumed) => throw new NotSupportedException();

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => throw new NotSupportedException();

        public override void Complete(Exception? exception = null)
        {
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => throw new IOException("The client reset the request stream.");

        public override bool TryRead(out ReadResult result) => throw new IOException("The client reset the request stream.");
    }
}
