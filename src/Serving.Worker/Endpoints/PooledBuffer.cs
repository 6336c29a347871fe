using System.Buffers;

namespace Serving.Worker.Endpoints;

/// <summary>A rented byte array returned to the pool on dispose.</summary>
internal sealed class PooledBuffer(byte[] array, int length) : IDisposable
{
    private byte[]? _array = array;

    public ReadOnlyMemory<byte> Memory => _array is { } a ? a.AsMemory(0, length) : throw new ObjectDisposedException(nameof(PooledBuffer));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } a)
        {
            ArrayPool<byte>.Shared.Return(a);
        }
    }
}
