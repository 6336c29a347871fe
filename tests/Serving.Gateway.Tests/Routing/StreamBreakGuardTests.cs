using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Serving.Gateway.Routing;

namespace Serving.Gateway.Tests.Routing;

/// <summary>
/// The guard follows the gRPC framing of what went to the caller, however the writes split it, and holds back
/// the reset YARP asks for until the gateway has decided how the stream ends.
/// </summary>
public sealed class StreamBreakGuardTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    public async Task Boundary_FollowsMessages_AcrossAnySplitOfTheWrites(int chunk)
    {
        var (context, written) = Context();
        var guard = StreamBreakGuard.Install(context);

        // Three messages: 3 bytes, empty, 300 bytes (a length over one byte). At a boundary after each one only.
        byte[][] messages = [Frame(3), Frame(0), Frame(300)];
        var ends = new HashSet<int>();
        var all = new List<byte>();
        foreach (var message in messages)
        {
            all.AddRange(message);
            ends.Add(all.Count);
        }

        var bytes = all.ToArray();
        var boundaries = new List<int>();
        for (var at = 0; at < bytes.Length; at += chunk)
        {
            var piece = bytes.AsMemory(at, Math.Min(chunk, bytes.Length - at));
            await context.Response.Body.WriteAsync(piece);
            if (guard.AtMessageBoundary)
            {
                boundaries.Add(at + piece.Length);
            }
        }

        Assert.Equal(bytes, written.ToArray());
        Assert.All(boundaries, b => Assert.Contains(b, ends));
        Assert.True(guard.AtMessageBoundary);
        Assert.Equal(ends.Where(e => e % chunk == 0 || e == bytes.Length).Order(), boundaries.Order());
    }

    [Fact]
    public async Task HalfAMessage_NoTrailers_TheResetGoesThroughAsInternalError()
    {
        var (context, _) = Context();
        var resets = new ResetRecorder();
        context.Features.Set<IHttpResetFeature>(resets);
        var guard = StreamBreakGuard.Install(context);
        await context.Response.Body.WriteAsync(Frame(10).AsMemory(0, 8));

        context.Features.Get<IHttpResetFeature>()!.Reset(8);
        Assert.Empty(resets.Codes);
        Assert.False(await guard.EndBrokenAsync(context, "why"));
        guard.PassReset(context);
        guard.Remove(context);

        Assert.Equal([2], resets.Codes);
        Assert.Same(resets, context.Features.Get<IHttpResetFeature>());
    }

    [Fact]
    public void NoBreak_TheCallersResetPassesAsAsked()
    {
        var (context, _) = Context();
        var resets = new ResetRecorder();
        context.Features.Set<IHttpResetFeature>(resets);
        var guard = StreamBreakGuard.Install(context);

        context.Features.Get<IHttpResetFeature>()!.Reset(8);
        guard.PassReset(context);

        Assert.Equal([8], resets.Codes);
    }

    private static byte[] Frame(int length)
    {
        var frame = new byte[5 + length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)length);
        Array.Fill(frame, (byte)0xAB, 5, length);
        return frame;
    }

    private static (DefaultHttpContext Context, MemoryStream Written) Context()
    {
        var written = new MemoryStream();
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(written));
        return (context, written);
    }

    private sealed class ResetRecorder : IHttpResetFeature
    {
        public List<int> Codes { get; } = [];

        public void Reset(int errorCode) => Codes.Add(errorCode);
    }
}
