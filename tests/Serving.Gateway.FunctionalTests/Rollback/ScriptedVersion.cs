using System.Text;
using Microsoft.AspNetCore.Http;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Hosting;
using Serving.Protocol.Errors;

namespace Serving.Gateway.FunctionalTests.Rollback;

/// <summary>How a <see cref="ScriptedVersion"/> answers its next infer call, and what automatic rollback must make of it.</summary>
internal enum ScriptedAnswer
{
    /// <summary>REST 200, gRPC OK: counts as ok.</summary>
    Ok,

    /// <summary>REST 500, gRPC INTERNAL: the version's failure.</summary>
    Internal,

    /// <summary>REST 503, gRPC UNAVAILABLE: the version's failure.</summary>
    Unavailable,

    /// <summary>REST 504, gRPC DEADLINE_EXCEEDED, without a caller's mark (the model's own timeout): the version's failure.</summary>
    Timeout,

    /// <summary>A deadline expiry marked as the caller's with 50 µs left: shorter than any baseline needs, excused.</summary>
    CallersShortDeadline,

    /// <summary>A deadline expiry marked as the caller's with 600 s left: a budget any baseline meets, the version's failure.</summary>
    CallersLongDeadline,

    /// <summary>REST 400, gRPC INVALID_ARGUMENT: the caller's mistake, counted neither way.</summary>
    BadInput,

    /// <summary>REST 404, gRPC NOT_FOUND: counted neither way.</summary>
    NotFound,

    /// <summary>REST 429, gRPC RESOURCE_EXHAUSTED (a full queue): counted neither way.</summary>
    Busy,
}

/// <summary>
/// A stand-in worker for one model version (real Kestrel on 127.0.0.1) whose infer calls, REST and gRPC, get the answer
/// <see cref="Next"/> says: the sweep sets it before each call, so it knows what every call got from the worker.
/// </summary>
internal sealed class ScriptedVersion : IAsyncDisposable
{
    private int _served;

    private ScriptedVersion(string version) => Version = version;

    public string Version { get; }

    public StubWorker Worker { get; private set; } = null!;

    public GatewayWorkerAddress Address => Worker.Address;

    /// <summary>The answer of the next infer call (and every one after, until changed).</summary>
    public ScriptedAnswer Next { get; set; }

    /// <summary>What calls wait for before they answer; each answers as <see cref="Next"/> said when it came.</summary>
    public Task Hold { get; set; } = Task.CompletedTask;

    /// <summary>Infer calls answered so far.</summary>
    public int Served => Volatile.Read(ref _served);

    public static async Task<ScriptedVersion> StartAsync(string model, string version)
    {
        var self = new ScriptedVersion(version);
        self.Worker = await StubWorker.HandlingAsync(model, version, self.AnswerAsync);
        return self;
    }

    /// <summary>What rollback must count a call answered so as: ok, failed, excused (a caller's deadline) or nothing.</summary>
    public static string Counted(ScriptedAnswer answer) => answer switch
    {
        ScriptedAnswer.Ok => "ok",
        ScriptedAnswer.Internal or ScriptedAnswer.Unavailable or ScriptedAnswer.Timeout or ScriptedAnswer.CallersLongDeadline => "failed",
        ScriptedAnswer.CallersShortDeadline => "excused",
        _ => "ignored",
    };

    /// <summary>The REST status and gRPC status code a call answered so gets.</summary>
    public static (int Http, int Grpc) Codes(ScriptedAnswer answer) => answer switch
    {
        ScriptedAnswer.Ok => (200, 0),
        ScriptedAnswer.Internal => (500, 13),
        ScriptedAnswer.Unavailable => (503, 14),
        ScriptedAnswer.Timeout or ScriptedAnswer.CallersShortDeadline or ScriptedAnswer.CallersLongDeadline => (504, 4),
        ScriptedAnswer.BadInput => (400, 3),
        ScriptedAnswer.NotFound => (404, 5),
        _ => (429, 8),
    };

    public ValueTask DisposeAsync() => Worker.DisposeAsync();

    private async Task AnswerAsync(HttpContext context)
    {
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        var answer = Next;
        await Hold.WaitAsync(context.RequestAborted);
        Interlocked.Increment(ref _served);
        var (http, grpc) = Codes(answer);
        var mark = answer switch
        {
            ScriptedAnswer.CallersShortDeadline => CallerDeadlineMark.Value(TimeSpan.FromTicks(500)),
            ScriptedAnswer.CallersLongDeadline => CallerDeadlineMark.Value(TimeSpan.FromSeconds(600)),
            _ => null,
        };
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            context.Response.ContentType = "application/grpc";
            if (answer == ScriptedAnswer.Ok)
            {
                await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
            }
            else
            {
                context.Response.AppendTrailer("grpc-message", $"scripted {answer}");
            }

            context.Response.AppendTrailer("grpc-status", grpc.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (mark is not null)
            {
                context.Response.AppendTrailer(CallerDeadlineMark.Header, mark);
            }

            return;
        }

        context.Response.StatusCode = http;
        context.Response.ContentType = "application/json";
        if (mark is not null)
        {
            context.Response.Headers[CallerDeadlineMark.Header] = mark;
        }

        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(answer == ScriptedAnswer.Ok ? """{"outputs": []}""" : $$"""{"error": "scripted {{answer}}"}"""), context.RequestAborted);
    }
}
