using System.Buffers;
using Microsoft.AspNetCore.Http;
using Serving.Protocol.Errors;
using Serving.Hosting.Http;

namespace Serving.Worker.Endpoints;

/// <summary>
/// Reads a whole request body into a pooled buffer, refusing bodies over the limit before buffering them. The body's
/// share of the <see cref="RequestMemoryBudget"/> is taken in two steps: its bytes (the buffer) before the read when
/// its length is known, else as it grows (a chunked or compressed body); the rest of its decoding estimate once it is
/// all in, before it is decoded. So a client sending slowly holds no more of the budget than the memory it takes; a
/// body whose estimate is over the whole budget is refused before it is read. The buffer gives the share back when
/// disposed.
/// </summary>
internal static class RequestBodyReader
{
    /// <param name="jsonBytes">How many of the body's first bytes are JSON (the rest is binary tensor data).</param>
    public static async Task<PooledBuffer> ReadAsync(
        HttpRequest request, long limit, RequestMemoryBudget budget, long jsonBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit)
        {
            throw TooLarge(limit);
        }

        var share = 0L;
        if (request.ContentLength is { } known)
        {
            budget.Take(known, RequestMemoryEstimate.Of(known, jsonBytes));
            share = known;
        }

        byte[] buffer;
        try
        {
            buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 4096, limit) + 1);
        }
        catch
        {
            budget.Give(share);
            throw;
        }

        var length = 0;
        try
        {
            var reader = request.BodyReader;
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);

                // Every read is advanced past, also when the body turns out too large: a reader left mid-read fails
                // Kestrel's drain of the body ("Reading is already in progress", logged as an error).
                var tooLarge = false;
                InferenceException? refused = null;
                foreach (var segment in result.Buffer)
                {
                    if (length + (long)segment.Length > limit)
                    {
                        tooLarge = true;
                        break;
                    }

                    if (length + segment.Length > buffer.Length)
                    {
                        // A body of unknown length (a known one took its bytes before the read): the share grows with it.
                        var needed = (long)length + segment.Length;
                        if (needed > share)
                        {
                            try
                            {
                                budget.Take(needed - share, RequestMemoryEstimate.Of(needed, jsonBytes));
                                share = needed;
                            }
                            catch (InferenceException e)
                            {
                                refused = e;
                                break;
                            }
                        }

                        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(buffer.Length * 2L, length + segment.Length), limit + 1));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    segment.Span.CopyTo(buffer.AsSpan(length));
                    length += segment.Length;
                }

                reader.AdvanceTo(result.Buffer.End);
                if (tooLarge)
                {
                    throw TooLarge(limit);
                }

                if (refused is not null)
                {
                    throw refused;
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }

            // All in: the rest of the share, for decoding it.
            var estimate = RequestMemoryEstimate.Of(length, jsonBytes);
            if (estimate > share)
            {
                budget.Take(estimate - share, estimate);
                share = estimate;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            budget.Give(share);
            throw;
        }

        return new PooledBuffer(buffer, length, budget, share);
    }

    private static InferenceException TooLarge(long limit) =>
        InferenceException.TooLarge($"the request body is over the {limit} bytes allowed (Serving:Worker:MaxRequestBytes)");
}
