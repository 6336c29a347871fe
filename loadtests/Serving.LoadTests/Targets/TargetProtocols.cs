namespace Serving.LoadTests.Targets;

/// <summary>Command-line names of <see cref="TargetProtocol"/>.</summary>
internal static class TargetProtocols
{
    /// <summary>The names <c>--protocol</c> accepts.</summary>
    public static readonly string[] Names = ["grpc", "rest-json", "rest-binary"];

    /// <summary>Parses a command-line name.</summary>
    public static TargetProtocol Parse(string name) => name switch
    {
        "grpc" => TargetProtocol.Grpc,
        "rest-json" => TargetProtocol.RestJson,
        "rest-binary" => TargetProtocol.RestBinary,
        _ => throw LoadTestException.Usage($"unknown protocol '{name}': use one of {string.Join(", ", Names)}"),
    };

    /// <summary>The command-line name.</summary>
    public static string ToName(this TargetProtocol protocol) => Names[(int)protocol];
}
