using Serving.Gateway.Configuration;
using Serving.Testing;
using Serving.Worker.Configuration;

namespace Serving.Gateway.FunctionalTests.Commands;

/// <summary>
/// What --help says a command does by default is what it does: the defaults are read from the options types. Before,
/// <c>serving worker --help</c> named no port or address (8080, 8081, 8082 on 0.0.0.0), <c>serving up --help</c>'s
/// "--rest-port: REST port" did not say it is the gateway's (8000), and <c>serving drift --rest-prot 1</c> gave a
/// worker's setting as the example of what a drift monitor takes.
/// </summary>
public sealed class HelpDefaultsTests
{
    [Fact]
    public async Task WorkerHelp_SaysTheWorkersDefaults()
    {
        var defaults = new WorkerOptions();

        var (code, output, error) = await ServingRun.RunApartAsync(["worker", "--help"]);

        Assert.True(code == 0, output + error);
        var help = Flat(output);
        Assert.Contains($"--bind <bind> Address to listen on (default {defaults.BindAddress})", help, StringComparison.Ordinal);
        Assert.Contains($"--rest-port <rest-port> REST port (default {defaults.RestPort}; 0 = any free port)", help, StringComparison.Ordinal);
        Assert.Contains($"--grpc-port <grpc-port> gRPC port (default {defaults.GrpcPort}; 0 = any free port)", help, StringComparison.Ordinal);
        Assert.Contains($"--metrics-port <metrics-port> Prometheus metrics port (default {defaults.MetricsPort}; 0 = any free port)", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpHelp_PortsAreTheGatewaysWithItsDefaults()
    {
        var defaults = new GatewayOptions();

        var (code, output, error) = await ServingRun.RunApartAsync(["up", "--help"]);

        Assert.True(code == 0, output + error);
        var help = Flat(output);
        Assert.Contains($"--rest-port <rest-port> The gateway's REST port (default {defaults.RestPort}; 0 = any free port)", help, StringComparison.Ordinal);
        Assert.Contains($"--grpc-port <grpc-port> The gateway's gRPC port (default {defaults.GrpcPort}; 0 = any free port)", help, StringComparison.Ordinal);
        Assert.Contains($"--metrics-port <metrics-port> The gateway's Prometheus metrics port (default {defaults.MetricsPort}; 0 = any free port)", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DriftUnknownOption_ExampleIsADriftSetting()
    {
        var (code, output, error) = await ServingRun.RunApartAsync(["drift", "--rest-prot", "1"]);

        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Contains("settings take their section, e.g. --Serving:Drift:", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Serving:Worker", error, StringComparison.Ordinal);
    }

    private static string Flat(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");
}
