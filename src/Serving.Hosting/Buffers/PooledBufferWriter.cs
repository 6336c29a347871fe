using System.Buffers;

namespace Serving.Hosting.Buffers;

/// <summary>
/// A growable byte buffer from <see cref="ArrayPool{T}"/>: a REST answer is formatted into it and written from it in
/// one call, and the drift monitor's archive formats a batch of lines into one it keeps. <see cref="Reset"/> empties
/// it and gives back one that grew past its keep limit; <see cref="Dispose"/> gives the array back.
/// </summary>
public sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private readonly int _initialSize;
    private readonly int _keepAtMost;
    private byte[] _buffer;
    private int _length;

    /// <summary>A buffer of at least <paramref name="initialSize"/> bytes; <see cref="Reset"/> swaps one larger than <paramref name="keepAtMost"/> for a new one.</summary>
    public PooledBufferWriter(int initialSize, int keepAtMost = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialSize);
        _initialSize = initialSize;
        _keepAtMost = keepAtMost;
        _buffer = ArrayPool<byte>.Shared.Rent(initialSize);
    }

    /// <summary>Bytes written since the last <see cref="Reset"/>.</summary>
    public int Length => _length;

    /// <summary>What was written.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>What was written, for an asynchronous write; valid until the next change to the buffer.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>Empties the buffer (and gives back a large one).</summary>
    public void Reset()
    {
        _length = 0;
        if (_buffer.Length > _keepAtMost)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(_initialSize);
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
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    // Returns the free space after making sure it is at least sizeHint (at least 1).
    private int Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _length < needed)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(checked(_length + needed), checked(_buffer.Length * 2)));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = grown;
        }

        return _buffer.Length - _length;
    }
}
