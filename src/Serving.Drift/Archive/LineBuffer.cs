using System.Buffers;

namespace Serving.Drift.Archive;

/// <summary>
/// A growable byte buffer from <see cref="ArrayPool{T}"/> that one batch of archive lines is formatted into and
/// written from in one call; reused across batches, and shrunk again after an unusually large one.
/// </summary>
internal sealed class LineBuffer : IBufferWriter<byte>, IDisposable
{
    private const int InitialSize = 1 << 20;
    private const int KeepAtMost = 8 << 20;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
    private int _length;

    /// <summary>Bytes written since the last <see cref="Reset"/>.</summary>
    public int Length => _length;

    /// <summary>What was written.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Empties the buffer (and gives back a large one).</summary>
    public void Reset()
    {
        _length = 0;
        if (_buffer.Length > KeepAtMost)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
        }
    }

    /// <inheritdoc />
    public void Advance(int count) => _length += count;

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        // Ensure may swap the buffer for a larger one: take _buffer only after it ran.
        var free = Ensure(sizeHint);
        return _buffer.AsMemory(_length, free);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var free = Ensure(sizeHint);
        return _buffer.AsSpan(_length, free);
    }

    /// <summary>Appends <paramref name="bytes"/>.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _length += bytes.Length;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    // Returns the free space after making sure it is at least sizeHint (at least 1).
    private int Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _length < needed)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(checked(_length + needed), checked(_buffer.Length * 2)));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }

        return _buffer.Length - _length;
    }
}
