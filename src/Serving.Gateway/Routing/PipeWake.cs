using System.IO.Pipelines;

namespace Serving.Gateway.Routing;

/// <summary>Wakes a request body's pending read from a cancellation callback, where an exception must not escape.</summary>
internal static class PipeWake
{
    /// <summary>
    /// <see cref="PipeReader.CancelPendingRead"/>, for a body whose caller may be gone: Kestrel's reader of a stream the
    /// client reset throws IOException ("The client reset the request stream") there. Thrown from a callback of the
    /// drain's token it failed the host's stop (ReadinessState.MarkDraining, seen in CI), and from a timer's it would be
    /// unhandled. A body that can't be read any more needs no waking: its read ends by itself.
    /// </summary>
    public static void CancelPendingRead(PipeReader reader)
    {
        try
        {
            reader.CancelPendingRead();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The caller reset the stream, or the request is over.
        }
    }
}
