using System.CommandLine;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Commands;

/// <summary>Options shared by the commands that load a target.</summary>
internal static class CommonOptions
{
    /// <summary><c>--target</c>.</summary>
    public static Option<string> Target() => new("--target")
    {
        Description = "Server root, http:// on 127.0.0.0/8, localhost or ::1 only (e.g. http://127.0.0.1:8500)",
        Required = true,
    };

    /// <summary><c>--model</c>.</summary>
    public static Option<string> Model() => new("--model") { Description = "Model name", Required = true };

    /// <summary><c>--model-version</c>.</summary>
    public static Option<string> ModelVersion() => new("--model-version") { Description = "Model version (default: the server picks)" };

    /// <summary><c>--input-file</c>.</summary>
    public static Option<FileInfo> InputFile() => new("--input-file")
    {
        Description = "OIP JSON infer request whose 'inputs' are sent (default: random data shaped by the model's metadata)",
    };

    /// <summary><c>--batch</c> for generated inputs.</summary>
    public static Option<int> Batch() => new("--batch")
    {
        Description = "First dimension of generated inputs when the model's is variable",
        DefaultValueFactory = _ => 1,
    };

    /// <summary><c>--grpc-client</c>.</summary>
    public static Option<string> GrpcClient() => new Option<string>("--grpc-client")
    {
        Description = "gRPC client: grpc-net (Grpc.Net.Client) | raw-h2 (gRPC framing over SocketsHttpHandler, about half the client CPU)",
        DefaultValueFactory = _ => "grpc-net",
    }.AcceptOnlyFromAmong(GrpcClientKinds.Names);

    /// <summary><c>--json</c>.</summary>
    public static Option<FileInfo> Json() => new("--json") { Description = "Also write the report as JSON to this file" };

    /// <summary>A duration option such as <c>--duration 10s</c>.</summary>
    public static Option<CliDuration> Duration(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = description,
        CustomParser = r => new CliDuration(CliParsers.Duration(r)),
        DefaultValueFactory = _ => new CliDuration(defaultValue),
    };

    /// <summary><c>--port</c> for a baseline server.</summary>
    public static Option<int> Port(int defaultValue) => new("--port")
    {
        Description = "h2c port for gRPC on 127.0.0.1 (0 = any free port)",
        DefaultValueFactory = _ => defaultValue,
    };

    /// <summary><c>--http1-port</c> for a baseline server.</summary>
    public static Option<int?> Http1Port() => new("--http1-port")
    {
        Description = "HTTP/1.1 port for REST on 127.0.0.1 (default: --port + 1, or any free port when --port is 0)",
    };

    /// <summary>The target from parsed options, loopback-checked.</summary>
    public static LoadTarget ReadTarget(
        ParseResult parse, Option<string> target, TargetProtocol protocol, Option<string> model, Option<string> version, Option<FileInfo> inputFile, Option<int> batch) =>
        new(
            LoopbackGuard.Parse(parse.GetRequiredValue(target)),
            protocol,
            parse.GetRequiredValue(model),
            parse.GetValue(version) ?? string.Empty,
            parse.GetValue(inputFile)?.FullName,
            parse.GetValue(batch) is var b and > 0 ? b : throw LoadTestException.Usage("--batch must be positive"));

    /// <summary>Extension to keep option declarations one expression.</summary>
    private static Option<string> AcceptOnlyFromAmong(this Option<string> option, string[] values)
    {
        option.AcceptOnlyFromAmong(values);
        return option;
    }
}
