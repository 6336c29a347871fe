using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Serving.Protocol.Errors;

namespace Serving.Worker.Endpoints;

/// <summary>Reads a whole request body into a pooled buffer, refusing bodies over the limit before buffering them.</summary>
internal static class RequestBodyReader
{
    public static async Task<PooledBuffer> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit)
        {
            throw TooLarge(limit);
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 4096, limit) + 1);
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
                foreach (var segment in result.Buffer)
                {
                    if (length + (long)segment.Length > limit)
                    {
                        tooLarge = true;
                        break;
                    }

                    if (length + segment.Length > buffer.Length)
                    {
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
            throw new InvalidDataException(e.Message, e);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new PooledBuffer(buffer, length);
    }

    private static InferenceException TooLarge(long limit) =>
        InferenceException.TooLarge($"the request body is over the {limit} bytes allowed (Serving:Worker:MaxRequestBytes)");
}
