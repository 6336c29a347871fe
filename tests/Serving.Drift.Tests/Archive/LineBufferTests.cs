using Serving.Drift.Archive;

namespace Serving.Drift.Tests.Archive;

/// <summary>The batch buffer grows past its initial size (1 MiB) without losing or misplacing a byte.</summary>
public sealed class LineBufferTests
{
    [Fact]
    public void GetSpanAndWrite_PastTheInitialSize_KeepEveryByteInOrder()
    {
        var random = new Random(20261204);
        var expected = new List<byte>();
        using var buffer = new LineBuffer();

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
        using var buffer = new LineBuffer();
        buffer.Write(new byte[(1 << 20) - 10]);

        var memory = buffer.GetMemory(1 << 20);

        Assert.True(memory.Length >= 1 << 20);
        Assert.Equal((1 << 20) - 10, buffer.Length);
    }

    [Fact]
    public void Reset_AfterALargeBatch_StartsEmpty()
    {
        using var buffer = new LineBuffer();
        buffer.Write(new byte[9 << 20]);

        buffer.Reset();
        buffer.Write([1, 2, 3]);

        Assert.Equal([1, 2, 3], buffer.Written.ToArray());
    }
}
