using System.Buffers;
using Microsoft.AspNetCore.Http;
using Serving.Protocol.Errors;

namespace Serving.LoadTests.Baselines.Hosting;

/// <summary>A request body read into a pooled array; disposing it returns the array.</summary>
internal sealed class PooledBody : IDisposable
{
    private byte[]? _array;

    private PooledBody(byte[] array, int length)
    {
        _array = array;
        Length = length;
    }

    /// <summary>The body's length.</summary>
    public int Length { get; }

    /// <summary>The body.</summary>
    public ReadOnlyMemory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(PooledBody))).AsMemory(0, Length);

    /// <summary>Reads the whole body of <paramref name="request"/>.</summary>
    public static async Task<PooledBody> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var array = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 4096, 1, BaselineHost.MaxMessageBytes));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == array.Length)
                {
                    array = Grow(array, length);
                }

                var read = await request.Body.ReadAsync(array.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    return new PooledBody(array, length);
                }

                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(array);
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private static byte[] Grow(byte[] array, int length)
    {
        if (length >= BaselineHost.MaxMessageBytes)
        {
            throw InferenceException.TooLarge($"the request body is larger than {BaselineHost.MaxMessageBytes} bytes");
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(length * 2, BaselineHost.MaxMessageBytes));
        array.AsSpan(0, length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(array);
        return bigger;
    }
}
