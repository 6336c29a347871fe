namespace Serving.LoadTests.Targets;

/// <summary>Command-line names of <see cref="GrpcClientKind"/>.</summary>
internal static class GrpcClientKinds
{
    /// <summary>The names <c>--grpc-client</c> accepts.</summary>
    public static readonly string[] Names = ["grpc-net", "raw-h2"];

    /// <summary>Parses a command-line name.</summary>
    public static GrpcClientKind Parse(string name) => name switch
    {
        "grpc-net" => GrpcClientKind.GrpcNet,
        "raw-h2" => GrpcClientKind.RawHttp2,
        _ => throw LoadTestException.Usage($"unknown gRPC client '{name}': use one of {string.Join(", ", Names)}"),
    };

    /// <summary>The command-line name.</summary>
    public static string ToName(this GrpcClientKind kind) => Names[(int)kind];
}
