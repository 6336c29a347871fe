using System.Buffers;
using Serving.Hosting.Buffers;

namespace Serving.Worker.Tests.Hosting;

/// <summary>The pooled buffer grows past its initial size without losing or misplacing a byte, and a reset gives back one that grew past its keep limit.</summary>
public sealed class PooledBufferWriterTests
{
    [Fact]
    public void GetSpanAndWrite_PastTheInitialSize_KeepEveryByteInOrder()
    {
        var random = new Random(20261204);
        var expected = new List<byte>();
        using var buffer = new PooledBufferWriter(1 << 20, keepAtMost: 8 << 20);

        while (expected.Count < 5 << 20)
        {
            var chunk = new byte[random.Next(1, 300_000)];
            random.NextBytes(chunk);
            if (random.Next(2) == 0)
            {
                buffer.Write(chunk);
            }
            else
            {
                var span = buffer.GetSpan(chunk.Length);
                Assert.True(span.Length >= chunk.Length);
                chunk.CopyTo(span);
                buffer.Advance(chunk.Length);
            }

            expected.AddRange(chunk);
        }

        Assert.Equal(expected.Count, buffer.Length);
        Assert.True(buffer.Written.SequenceEqual(expected.ToArray()));
    }

    [Fact]
    public void GetMemory_PastTheInitialSize_GivesTheRequestedRoom()
    {
        using var buffer = new PooledBufferWriter(1 << 20, keepAtMost: 8 << 20);
        buffer.Write(new byte[(1 << 20) - 10]);

        var memory = buffer.GetMemory(1 << 20);

        Assert.True(memory.Length >= 1 << 20);
        Assert.Equal((1 << 20) - 10, buffer.Length);
    }

    [Fact]
    public void Reset_AfterALargeBatch_StartsEmpty()
    {
        using var buffer = new PooledBufferWriter(1 << 20, keepAtMost: 8 << 20);
        buffer.Write(new byte[9 << 20]);

        buffer.Reset();
        buffer.Write([1, 2, 3]);

        Assert.Equal([1, 2, 3], buffer.Written.ToArray());
    }

    [Fact]
    public void WrittenMemory_SmallInitialSize_HoldsWhatWasWritten_AfterGrowing()
    {
        using var buffer = new PooledBufferWriter(16);
        var bytes = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();

        buffer.Write(bytes.AsSpan(0, 10));
        buffer.Write(bytes.AsSpan(10));

        Assert.Equal(bytes, buffer.WrittenMemory.ToArray());
    }

    [Fact]
    public void Dispose_Twice_GivesTheArrayBackOnce()
    {
        // An array given back twice would be handed to two renters at once: the next two rents would be the same array.
        var buffer = new PooledBufferWriter(4096);
        buffer.Write([1, 2, 3]);

        buffer.Dispose();
        buffer.Dispose();

        var first = ArrayPool<byte>.Shared.Rent(4096);
        var second = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            Assert.NotSame(first, second);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(first);
            ArrayPool<byte>.Shared.Return(second);
        }
    }
}
