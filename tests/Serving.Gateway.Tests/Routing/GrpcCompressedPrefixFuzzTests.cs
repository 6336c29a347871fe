using System.Buffers;
using System.IO.Compression;
using Serving.Gateway.Routing;
using Serving.Gateway.Tests.TestSupport;

namespace Serving.Gateway.Tests.Routing;

/// <summary>
/// Mutation fuzz of <see cref="GrpcCompressedPrefix"/>: for gzip and deflate messages with a few bytes changed, it
/// answers with the start of what the message inflates to, an error, or a wish for more bytes; never an exception.
/// However the bytes are cut into segments, and however many of them have arrived, a decided answer is the same.
/// </summary>
public sealed class GrpcCompressedPrefixFuzzTests
{
    // Mutated bodies per run: 10,000 in CI; set COMPRESSED_PREFIX_FUZZ_ITERATIONS for a longer search (200,000 took 11 s).
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("COMPRESSED_PREFIX_FUZZ_ITERATIONS"), out var n) ? n : 10_000;

    [Fact]
    public void Inflate_MutatedBodies_TheStartOfWhatTheyInflateTo_OrAnError()
    {
        var random = new Random(37);
        var (inflated, refused) = (0, 0);
        for (var i = 0; i < Iterations; i++)
        {
            var encoding = random.Next(2) == 0 ? "gzip" : "deflate";
            var body = FuzzBodies.Mutated(random, compressed: 1, message => Frames.Compress(message, encoding));
            if (body.Length < GrpcLeadingFields.FrameHeaderLength)
            {
                continue;
            }

            var result = Inflate(body, FuzzBodies.Split(body, random), encoding);

            Assert.False(result.NeedMoreData);
            if (result.Error is not null)
            {
                Assert.Null(result.Frame);
                refused++;
                continue;
            }

            var frame = Assert.IsType<byte[]>(result.Frame);
            Assert.Equal(Reference(body, encoding), frame.AsSpan(GrpcLeadingFields.FrameHeaderLength).ToArray());
            Assert.Equal(frame.Length - GrpcLeadingFields.FrameHeaderLength, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(1)));
            GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(frame), isCompleted: true);
            inflated++;
        }

        Assert.True(inflated > Iterations / 10, $"inflated {inflated}");
        Assert.True(refused > Iterations / 10, $"refused {refused}");
    }

    [Fact]
    public void Inflate_MutatedBodies_InRandomSegmentsAndPrefixes_AnswerAsTheWholeBody()
    {
        var random = new Random(41);
        for (var i = 0; i < Iterations; i++)
        {
            var encoding = random.Next(2) == 0 ? "gzip" : "deflate";
            var body = FuzzBodies.Mutated(random, compressed: 1, message => Frames.Compress(message, encoding));
            if (body.Length < GrpcLeadingFields.FrameHeaderLength)
            {
                continue;
            }

            var whole = Answer(new ReadOnlySequence<byte>(body), encoding, isCompleted: true);

            Assert.Equal(whole, Answer(FuzzBodies.Split(body, random), encoding, isCompleted: true));

            var prefix = body.AsSpan(0, random.Next(GrpcLeadingFields.FrameHeaderLength, body.Length + 1)).ToArray();
            var early = Answer(FuzzBodies.Split(prefix, random), encoding, isCompleted: false);
            Assert.True(early.NeedMoreData || early == whole, $"{early} then {whole}");
        }
    }

    [Fact]
    public void Inflate_UnmutatedMessages_TheirStart()
    {
        var random = new Random(43);
        for (var i = 0; i < 300; i++)
        {
            var encoding = random.Next(2) == 0 ? "gzip" : "deflate";
            var message = FuzzBodies.Message(random);
            var body = Frames.Frame(Frames.Compress(message, encoding), compressed: 1);

            var result = GrpcCompressedPrefix.Inflate(FuzzBodies.Split(body, random), encoding, isCompleted: true);

            var frame = Assert.IsType<byte[]>(result.Frame);
            Assert.Equal(message.AsSpan(0, Math.Min(message.Length, GrpcCompressedPrefix.InflatedBytes)).ToArray(), frame.AsSpan(GrpcLeadingFields.FrameHeaderLength).ToArray());
            Assert.Equal((uint)(body.Length - GrpcLeadingFields.FrameHeaderLength), result.MessageLength);
        }
    }

    private static GrpcCompressedPrefix.Result Inflate(byte[] body, ReadOnlySequence<byte> split, string encoding)
    {
        try
        {
            return GrpcCompressedPrefix.Inflate(split, encoding, isCompleted: true);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{encoding} body {Convert.ToHexString(body)}: {e}");
        }
    }

    // The result with its frame as text, so that two answers compare by value.
    private static (string? Frame, string? Error, bool NeedMoreData, uint MessageLength) Answer(ReadOnlySequence<byte> body, string encoding, bool isCompleted)
    {
        var result = GrpcCompressedPrefix.Inflate(body, encoding, isCompleted);
        return (result.Frame is null ? null : Convert.ToHexString(result.Frame), result.Error, result.NeedMoreData, result.MessageLength);
    }

    // What the message's bytes (as far as the header's length and the body go) inflate to, up to InflatedBytes.
    private static byte[] Reference(byte[] body, string encoding)
    {
        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1));
        var compressed = body.AsSpan(GrpcLeadingFields.FrameHeaderLength, (int)Math.Min(length, body.Length - GrpcLeadingFields.FrameHeaderLength)).ToArray();
        using Stream inflater = encoding == "gzip"
            ? new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress)
            : new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
        var output = new byte[GrpcCompressedPrefix.InflatedBytes];
        var produced = 0;
        int read;
        while (produced < output.Length && (read = inflater.Read(output, produced, output.Length - produced)) > 0)
        {
            produced += read;
        }

        return output[..produced];
    }
}
