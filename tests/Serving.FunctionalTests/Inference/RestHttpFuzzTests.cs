using System.Text;
using Serving.FunctionalTests.Observability;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// Seeded mutation sweep of the worker's REST endpoints at the HTTP level, over bare HTTP/1.1 written by hand
/// (<see cref="RestRequestMutations"/>): headers, framing, encodings, paths, methods and bodies of valid infer requests
/// of the sample and test models. Every case gets an answer within a bounded wait (never a hang); it is 200 with the
/// clean request's answer, or a 4xx with the product's <c>{"error": "..."}</c> (Kestrel's own bare 400 / 431 for what it
/// refuses before any of the product's code: see the kinds marked so; 501 for a transfer coding before chunked); never
/// another 5xx, a reset, or a close without an answer (but for a client that closed, or half closed: Kestrel aborts it).
/// The worker counts each infer request once, in the class of its answer, and serves a clean request after every case.
/// A failure prints the request (base64), the seed and the iteration.
/// </summary>
[Collection(RestHttpCollection.Name)]
public sealed class RestHttpFuzzTests(RestHttpFuzzFixture fixture)
{
    // Cases per run: 400 in CI (a few seconds); REST_HTTP_FUZZ_ITERATIONS for a longer search (4,000 took 50 s),
    // REST_HTTP_FUZZ_SEED for another seed.
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("REST_HTTP_FUZZ_ITERATIONS"), out var n) ? n : 400;

    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("REST_HTTP_FUZZ_SEED"), out var s) ? s : 83;

    [Fact]
    public async Task MutatedRequests_AnsweredRightOrRefusedWithAReason_CountedOnce_WorkerKeepsServing()
    {
        var sweep = new RestSweep(fixture.Server.Listeners.RestPort, Bases(), Counters(fixture.Server));
        var mutations = new RestRequestMutations(sweep.Bases, [("x-serving-version", "1"), ("x-serving-version", "9"), ("x-serving-version", ""), ("x-serving-arm", "shadow"), ("x-serving-arm", "weight"), ("x-serving-model", "other")]);

        var answered = await sweep.RunAsync(mutations, Seed, Iterations, RestSweep.Quick);

        // The sweep reached both outcomes: answers and refusals.
        Assert.True(answered.GetValueOrDefault(200) > 0 && answered.Keys.Any(k => k is >= 400 and < 500), string.Join(", ", answered.Select(p => $"{p.Key}: {p.Value}")));
    }

    /// <summary>A client that stops part way through its body and waits is answered (408, the body came too slowly), in a bounded wait.</summary>
    [Fact]
    public Task BodiesNeverFinished_408_CountedDeadlineExceeded() =>
        new RestSweep(fixture.Server.Listeners.RestPort, Bases(), Counters(fixture.Server)).StalledBodiesAsync(chunkedToo: true, _ => true);

    // The worker's counter of infer requests, by the code of each answer; the sweep's models only.
    internal static SweepCounters Counters(WorkerServer server) => new(
        () => OwnSeries.ScrapeAsync(server), "serving_inference_requests_total", "model=\"hf_",
        status => status switch
        {
            200 => "ok",
            400 => "InvalidArgument",
            404 => "NotFound",
            408 or 504 => "DeadlineExceeded",
            413 or 429 => "ResourceExhausted",
            415 or 501 => "Unimplemented",
            503 => "Unavailable",
            _ => "?",
        },
        Gone: "Cancelled",
        BadChunk: "InvalidArgument");

    internal static RestBase[] Bases() =>
    [
        .. RestSweep.Tabular("hf_tabular"),
        new("hf_digits", Encoding.UTF8.GetBytes(GoldenFile.Load("digits", "1").RequestBody()), []),
        new("hf_bytes", Encoding.UTF8.GetBytes("""{"inputs":[{"name":"INPUT0","datatype":"BYTES","shape":[1,3],"data":["a","b\u00e9","\ud83d\ude00"]}]}"""), []),
        new("hf_fp32", Encoding.UTF8.GetBytes("""{"inputs":[{"name":"INPUT0","datatype":"FP32","shape":[2,2],"data":[1,2.5,-3,4e-3]}],"outputs":[{"name":"OUTPUT0","parameters":{"binary_data":true}}]}"""), []),
    ];
}
