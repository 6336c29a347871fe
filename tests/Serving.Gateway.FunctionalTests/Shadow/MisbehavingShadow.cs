using System.Buffers.Binary;
using Microsoft.AspNetCore.Http;
using Serving.Gateway.FunctionalTests.TestSupport;

namespace Serving.Gateway.FunctionalTests.Shadow;

/// <summary>
/// A stand-in shadow worker (<see cref="StubWorker"/>) that answers each infer call, REST or gRPC, as <see cref="Kind"/>
/// says when the call arrives: as the primary does, with a valid but different answer, never, part way, broken off, with
/// an error, or with something that is not an answer. <see cref="MaxConcurrent"/> is the most calls it held at once.
/// </summary>
internal sealed class MisbehavingShadow : IAsyncDisposable
{
    /// <summary>How a shadow answers; <see cref="Counted"/> is what the gateway must count for a primary that answered well.</summary>
    public static readonly IReadOnlyDictionary<string, string> Counted = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["agree"] = "agree", // the primary's own answer (AgreeingRest / AgreeingGrpc)
        ["empty-outputs"] = "disagree", // a valid answer with no outputs
        ["stall"] = "timeout", // takes the call and never answers
        ["headers-then-stall"] = "timeout", // 200 and part of a body, then nothing
        ["reset"] = "shadow_error", // 200 and part of a body, then the connection or stream is aborted
        ["error"] = "shadow_error", // REST 500, gRPC INTERNAL
        ["wrong-content-type"] = "shadow_error", // 200 text/html, no grpc-status
        ["bad-message"] = "shadow_error", // 200 and not JSON / not a ModelInferResponse, gRPC status OK
        ["cut-message"] = "shadow_error", // REST: a header length past the body; gRPC: a frame that promises more than came
        ["not-an-answer"] = "shadow_error", // REST: JSON whose outputs is not an array; gRPC: status OK and no message
        ["huge"] = "too_large", // an answer over ShadowMaxResponseBytes
    };

    public const int HugeBytes = 1024 * 1024;

    private int _current;
    private int _max;
    private volatile string _kind = "agree";

    private MisbehavingShadow()
    {
    }

    public StubWorker Worker { get; private set; } = null!;

    /// <summary>How the next calls are answered (one of the keys of <see cref="Counted"/>).</summary>
    public string Kind
    {
        get => _kind;
        set => _kind = Counted.ContainsKey(value) ? value : throw new ArgumentException($"no such kind '{value}'", nameof(value));
    }

    /// <summary>The REST body the kind <c>agree</c> answers with (the primary's answer to the same input).</summary>
    public byte[] AgreeingRest { get; set; } = [];

    /// <summary>The gRPC frames the kind <c>agree</c> answers with (the primary's answer to the same input).</summary>
    public byte[] AgreeingGrpc { get; set; } = [];

    public int Calls => Worker.Calls;

    /// <summary>Calls held right now.</summary>
    public int Current => Volatile.Read(ref _current);

    public int MaxConcurrent => Volatile.Read(ref _max);

    public static async Task<MisbehavingShadow> StartAsync(string model, string version)
    {
        var self = new MisbehavingShadow();
        self.Worker = await StubWorker.HandlingAsync(model, version, self.HandleAsync);
        return self;
    }

    public ValueTask DisposeAsync() => Worker.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        var now = Interlocked.Increment(ref _current);
        for (var max = Volatile.Read(ref _max); now > max && Interlocked.CompareExchange(ref _max, now, max) != max; max = Volatile.Read(ref _max))
        {
        }

        try
        {
            await AnswerAsync(context, _kind);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The gateway gave the copy up.
        }
        finally
        {
            Interlocked.Decrement(ref _current);
        }
    }

    private async Task AnswerAsync(HttpContext context, string kind)
    {
        var aborted = context.RequestAborted;
        var response = context.Response;
        var grpc = context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
        if (kind == "stall")
        {
            await Task.Delay(StubWorker.Stall, aborted);
            return;
        }

        await context.Request.Body.CopyToAsync(Stream.Null, aborted);
        response.ContentType = grpc ? "application/grpc" : "application/json";
        switch (kind)
        {
            case "agree":
                await WriteAsync(context, grpc ? AgreeingGrpc : AgreeingRest, grpc);
                return;
            case "empty-outputs":
                await WriteAsync(context, grpc ? new byte[5] : """{"outputs": []}"""u8.ToArray(), grpc);
                return;
            case "headers-then-stall" or "reset":
                await response.Body.WriteAsync(grpc ? new byte[] { 0, 0, 0, 0, 64, 0x0A } : """{"outputs": [{"na"""u8.ToArray(), aborted);
                await response.Body.FlushAsync(aborted);
                if (kind == "reset")
                {
                    context.Abort();
                    return;
                }

                await Task.Delay(StubWorker.Stall, aborted);
                return;
            case "error" when grpc:
                response.Headers["grpc-status"] = "13";
                response.Headers["grpc-message"] = "shadow failed";
                return;
            case "error":
                response.StatusCode = StatusCodes.Status500InternalServerError;
                await response.WriteAsync("""{"error": "shadow failed"}""", aborted);
                return;
            case "wrong-content-type":
                response.ContentType = "text/html";
                await response.WriteAsync("<html>not an answer</html>", aborted);
                return;
            case "bad-message":
                await WriteAsync(context, grpc ? new byte[] { 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF } : "{not json"u8.ToArray(), grpc);
                return;
            case "cut-message" when grpc:
                await WriteAsync(context, [0, 0, 0, 0, 100, 0x0A], grpc);
                return;
            case "cut-message":
                response.Headers["Inference-Header-Content-Length"] = "99999";
                await WriteAsync(context, """{"outputs": []}"""u8.ToArray(), grpc);
                return;
            case "not-an-answer":
                await WriteAsync(context, grpc ? [] : """{"outputs": 5}"""u8.ToArray(), grpc);
                return;
            case "huge":
                var huge = new byte[HugeBytes];
                BinaryPrimitives.WriteUInt32BigEndian(huge.AsSpan(1), HugeBytes - 5);
                await WriteAsync(context, huge, grpc);
                return;
            default:
                throw new InvalidOperationException(kind);
        }
    }

    // The body, and for gRPC status OK in the trailers.
    private static async Task WriteAsync(HttpContext context, byte[] body, bool grpc)
    {
        if (body.Length > 0)
        {
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }

        if (grpc)
        {
            context.Response.AppendTrailer("grpc-status", "0");
        }
    }
}
