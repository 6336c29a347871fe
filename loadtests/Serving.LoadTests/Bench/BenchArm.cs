using System.Text.Json.Serialization;

namespace Serving.LoadTests.Bench;

/// <summary>The servers the bench puts under load, one at a time.</summary>
internal enum BenchArm
{
    /// <summary>The worker with dynamic batching on.</summary>
    [JsonStringEnumMemberName("worker-batching")]
    WorkerBatching,

    /// <summary>The worker with <c>EnableBatching=false</c>: every request runs alone.</summary>
    [JsonStringEnumMemberName("worker-unbatched")]
    WorkerUnbatched,

    /// <summary>The naive baseline: decode, <c>session.Run</c> per request, encode.</summary>
    [JsonStringEnumMemberName("naive")]
    Naive,

    /// <summary>The echo baseline: the RPC path without a model.</summary>
    [JsonStringEnumMemberName("echo")]
    Echo,
}
