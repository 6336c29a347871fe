using Serving.LoadTests.Baselines.Hosting;

namespace Serving.LoadTests.Baselines.Naive;

/// <summary>Where the naive baseline finds its model and how it listens.</summary>
/// <param name="ModelDirectory">A directory of <c>&lt;version&gt;/model.onnx</c>.</param>
/// <param name="Ports">The h2c and HTTP/1.1 ports.</param>
/// <param name="ModelName">The served name; defaults to the directory's name.</param>
/// <param name="Version">The version to load; defaults to the highest.</param>
/// <param name="IntraOpThreads">ORT intra-op threads; null keeps ORT's default as a hand-written server would.</param>
internal sealed record NaiveServerOptions(string ModelDirectory, BaselinePorts Ports, string? ModelName = null, string? Version = null, int? IntraOpThreads = null);
