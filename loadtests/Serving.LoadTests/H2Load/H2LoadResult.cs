namespace Serving.LoadTests.H2Load;

/// <summary>What h2load printed. It has no percentiles, only min/max/mean/sd per request, and it cannot see gRPC status trailers.</summary>
internal sealed record H2LoadResult(
    double RequestsPerSecond,
    long Succeeded,
    long Failed,
    long Errored,
    long Status2xx,
    double MinMicros,
    double MaxMicros,
    double MeanMicros,
    double SdMicros);
