using System.Buffers;

namespace Serving.Testing;

/// <summary>Bytes as a <see cref="ReadOnlySequence{T}"/> of several segments, as a pipe may hand a message over (linked into the projects that use it).</summary>
public static class ByteSequences
{
    /// <summary>
    /// <paramref name="bytes"/> in segments as long as <paramref name="nextLength"/> says, one after another (0: an empty
    /// segment, which a pipe's sequence may hold too).
    /// </summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, Func<int> nextLength)
    {
        Segment? first = null, last = null;
        for (var at = 0; at < bytes.Length || first is null;)
        {
            var chunk = bytes.AsMemory(at, Math.Clamp(nextLength(), 0, bytes.Length - at));
            at += chunk.Length;
            last = new Segment(chunk, last);
            first ??= last;
        }

        return new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    /// <summary><paramref name="bytes"/> cut at random places into up to <paramref name="maxSegments"/> segments, some maybe empty.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, Random random, int maxSegments = 8)
    {
        var segments = 0;
        return Segmented(bytes, () => ++segments >= maxSegments ? bytes.Length : random.Next(4) == 0 ? random.Next(3) : random.Next(bytes.Length + 1));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
