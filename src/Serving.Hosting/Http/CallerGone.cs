using Microsoft.AspNetCore.Http;

namespace Serving.Hosting.Http;

/// <summary>How Kestrel tells a request that its caller went away while its body was being read.</summary>
public static class CallerGone
{
    /// <summary>
    /// True when <paramref name="e"/>, thrown by reading the request body, means the caller went away: a read cancelled by
    /// <c>RequestAborted</c>; a reset HTTP/2 stream or connection (an IOException other than BadHttpRequestException,
    /// which is one too); or a body of known length that ended early, which Kestrel reports as a malformed body (400)
    /// because the connection closed before the rest came (it answers nobody then, not even a caller that only stopped
    /// sending). Kestrel reports these to the read sometimes before it signals <c>RequestAborted</c>, above all on a
    /// connection that served a call before (a pooled one, a gateway's). A chunked body that breaks off reads as a bad
    /// chunk and stays a 400.
    /// </summary>
    public static bool WhileReadingBody(HttpContext context, Exception? e) => e switch
    {
        BadHttpRequestException bad => bad.StatusCode == StatusCodes.Status400BadRequest && context.Request.ContentLength is not null,
        OperationCanceledException => context.RequestAborted.IsCancellationRequested,
        IOException io => !IsBadChunkSize(io),
        _ => false,
    };

    /// <summary>
    /// True when <paramref name="e"/> is Kestrel's word for a chunk size too large for it to count (more than 31 bits of
    /// hex digits): a plain IOException ("Bad chunk size data.") around an OverflowException, where other bad chunks are a
    /// BadHttpRequestException. The caller sent a malformed body and is still there: a 400, not a caller gone.
    /// </summary>
    public static bool IsBadChunkSize(Exception? e) => e is IOException { InnerException: OverflowException } and not BadHttpRequestException;
}
