using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Serving.Protocol.Errors;
using Serving.Hosting.Http;

namespace Serving.Worker.Endpoints;

/// <summary>
/// Reads a whole request body into a pooled buffer, refusing bodies over the limit before buffering them. The body's
/// share of the <see cref="RequestMemoryBudget"/> is taken before the read when its length is known, else as it grows
/// (a chunked or compressed body); the buffer gives it back when disposed.
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
            share = RequestMemoryEstimate.Of(known, jsonBytes);
            budget.Take(share, share);
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
                        // A body of unknown length (a known one took its share before the read): the share grows with it.
                        var needed = RequestMemoryEstimate.Of(length + segment.Length, jsonBytes);
                        if (needed > share)
                        {
                            try
                            {
                                budget.Take(needed - share, needed);
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
        }
        catch (InvalidOperationException e) when (e.TargetSite?.DeclaringType == typeof(BrotliStream))
        {
            // Brotli's decoder reports a body that is not Brotli this way; gzip and deflate throw InvalidDataException.
            ArrayPool<byte>.Shared.Return(buffer);
            budget.Give(share);
            throw new InvalidDataException(e.Message, e);
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
