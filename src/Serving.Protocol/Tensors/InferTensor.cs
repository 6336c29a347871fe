using System.Buffers;

namespace Serving.Protocol.Tensors;

/// <summary>
/// One named tensor in the form every codec converts to and from: fixed-size elements as
/// little-endian row-major bytes, BYTES as a list of byte strings.
/// </summary>
public sealed class InferTensor : IDisposable
{
    private byte[]? _rented;

    private InferTensor(string name, DataType dataType, long[] shape, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte>[]? elements, byte[]? rented)
    {
        Name = name;
        DataType = dataType;
        Shape = shape;
        Data = data;
        Elements = elements;
        _rented = rented;
    }

    /// <summary>The tensor's name.</summary>
    public string Name { get; }

    /// <summary>The element datatype.</summary>
    public DataType DataType { get; }

    /// <summary>The shape; every dimension is non-negative.</summary>
    public long[] Shape { get; }

    /// <summary>Row-major little-endian element bytes (empty for BYTES).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The elements of a BYTES tensor (null otherwise).</summary>
    public ReadOnlyMemory<byte>[]? Elements { get; }

    /// <summary>The number of elements the shape holds.</summary>
    public long ElementCount => Shapes.ElementCount(Shape);

    /// <summary>A fixed-size tensor over <paramref name="data"/>; <paramref name="rented"/> goes back to the pool on dispose.</summary>
    public static InferTensor Fixed(string name, DataType dataType, long[] shape, ReadOnlyMemory<byte> data, byte[]? rented = null)
    {
        if (dataType == DataType.Bytes)
        {
            throw new ArgumentException("BYTES tensors are built with Strings().", nameof(dataType));
        }

        return new InferTensor(name, dataType, shape, data, null, rented);
    }

    /// <summary>A BYTES tensor.</summary>
    /// <summary>
    /// The tensor named <paramref name="name"/> in <paramref name="tensors"/>, or null. A loop, for the predict path:
    /// <c>List.Find</c> with a lambda that captures the name allocates a delegate per call.
    /// </summary>
    public static InferTensor? Find(List<InferTensor> tensors, string name)
    {
        foreach (var tensor in tensors)
        {
            if (tensor.Name == name)
            {
                return tensor;
            }
        }

        return null;
    }

    public static InferTensor Strings(string name, long[] shape, ReadOnlyMemory<byte>[] elements) =>
        new(name, DataType.Bytes, shape, ReadOnlyMemory<byte>.Empty, elements, null);

    /// <summary>Typed read-only view of a fixed-size tensor's elements.</summary>
    public ReadOnlySpan<T> As<T>()
        where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Data.Span);

    /// <inheritdoc />
    public void Dispose()
    {
        var rented = Interlocked.Exchange(ref _rented, null);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
