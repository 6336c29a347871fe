using System.Text.Json;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Commands;

/// <summary><c>serving infer</c> against a real gateway's gRPC port, run in-process (tests in this assembly run one at a time, so the console can be captured).</summary>
[Collection(GatewayCollection.Name)]
public sealed class InferCommandTests(GatewayFixture fixture)
{
    private static readonly string Golden = Path.Combine(RepoPaths.Models, "tabular", "1", "golden.json");

    [Theory]
    [InlineData("127.0.0.1:{0}")]
    [InlineData("http://127.0.0.1:{0}")]
    public async Task GoldenRequest_PrintsTheOutputs_EitherAddressForm(string address)
    {
        var (code, output, error) = await ServingCli.RunAsync(
            "infer", "tabular", "--model-version", "1", "--input", Golden, "--grpc", string.Format(System.Globalization.CultureInfo.InvariantCulture, address, fixture.Gateway.Listeners.GrpcPort));

        Assert.True(code == 0, error);
        using var response = JsonDocument.Parse(output);
        Assert.Equal("1", response.RootElement.GetProperty("model_version").GetString());
        Assert.Equal("probabilities", response.RootElement.GetProperty("outputs")[0].GetProperty("name").GetString());
    }

    /// <summary>The answer's parameters are printed as REST gives them: an entity the feature store lacks is named in features_defaulted_rows (it was dropped).</summary>
    [Fact]
    public async Task EntityForm_AnswerParametersPrinted()
    {
        var request = Path.Combine(Path.GetTempPath(), $"serving-infer-entities-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(request, """{"inputs":[{"name":"customer_id","datatype":"INT64","shape":[2],"data":[1,999999]}]}""");
        try
        {
            var (code, output, error) = await ServingCli.RunAsync(
                "infer", "tabular", "--model-version", "2", "--input", request, "--grpc", $"127.0.0.1:{fixture.Gateway.Listeners.GrpcPort}");

            Assert.True(code == 0, error);
            using var response = JsonDocument.Parse(output);
            Assert.Equal("1", response.RootElement.GetProperty("parameters").GetProperty("features_defaulted_rows").GetString());
        }
        finally
        {
            File.Delete(request);
        }
    }

    /// <summary>The request file's requested outputs go too: Triton's classification comes back as labelled classes, as over REST (they were dropped).</summary>
    [Fact]
    public async Task RequestedOutputWithClassification_ClassesPrinted()
    {
        var golden = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Golden))!;
        var row = new System.Text.Json.Nodes.JsonArray([.. golden["inputs"]![0]!["data"]!.AsArray().Take(30).Select(v => v!.DeepClone())]);
        var body = new System.Text.Json.Nodes.JsonObject
        {
            ["inputs"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["name"] = "input", ["datatype"] = "FP32", ["shape"] = new System.Text.Json.Nodes.JsonArray(1, 30), ["data"] = row }),
            ["outputs"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["name"] = "probabilities", ["parameters"] = new System.Text.Json.Nodes.JsonObject { ["classification"] = 2 } }),
        };
        var request = Path.Combine(Path.GetTempPath(), $"serving-infer-classes-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(request, body.ToJsonString());
        try
        {
            var (code, output, error) = await ServingCli.RunAsync(
                "infer", "tabular", "--model-version", "1", "--input", request, "--grpc", $"127.0.0.1:{fixture.Gateway.Listeners.GrpcPort}");

            Assert.True(code == 0, error);
            using var response = JsonDocument.Parse(output);
            var probabilities = response.RootElement.GetProperty("outputs")[0];
            Assert.True(probabilities.GetProperty("datatype").GetString() == "BYTES", output);
            Assert.Equal([1, 2], probabilities.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
            Assert.All(probabilities.GetProperty("data").EnumerateArray(), c => Assert.Matches(":(malignant|benign)$", c.GetString()));
        }
        finally
        {
            File.Delete(request);
        }
    }

    [Theory]
    [InlineData("not an address")]
    [InlineData("ftp://127.0.0.1:8001")]
    [InlineData("")]
    public async Task BadAddress_ExitTwo_SaysWhatToGive_NoStackTrace(string address)
    {
        var (code, _, error) = await ServingCli.RunAsync("infer", "tabular", "--input", Golden, "--grpc", address);

        Assert.Equal(2, code);
        Assert.Contains("is not an address: give host:port", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InputIsAFolder_ExitTwo_SaysSo()
    {
        var folder = Path.GetDirectoryName(Golden)!;

        var (code, _, error) = await ServingCli.RunAsync("infer", "tabular", "--input", folder, "--grpc", "127.0.0.1:1");

        Assert.Equal(2, code);
        Assert.Contains($"{folder} is a folder: give the request's JSON file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingListening_ExitTwo_SaysItCouldNotReachIt()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, _, error) = await ServingCli.RunAsync("infer", "tabular", "--input", Golden, "--grpc", $"127.0.0.1:{port}");

        Assert.Equal(2, code);
        Assert.Contains($"could not reach http://127.0.0.1:{port}/", error, StringComparison.Ordinal);
        Assert.Contains("is a server listening there?", error, StringComparison.Ordinal);
    }

    /// <summary>A port that takes the connection and never answers (a hung process, the wrong service) ends the call at --timeout, not never.</summary>
    [Fact]
    public async Task PortThatNeverAnswers_ExitOne_AtTheTimeout_SaysWhatToCheck()
    {
        // The kernel completes the connection (the backlog); nothing ever reads it or answers.
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
            var run = ServingCli.RunAsync("infer", "tabular", "--input", Golden, "--grpc", $"127.0.0.1:{port}", "--timeout", "1");
            Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, "serving infer still waits for a port that never answers");

            var (code, _, error) = await run;
            Assert.Equal(1, code);
            Assert.Contains($"no answer from http://127.0.0.1:{port}/ within 1 s: is it the gRPC port of a running server", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }
        finally
        {
            silent.Stop();
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("abc")]
    public async Task TimeoutNotSeconds_Refused_NoDotNetType(string seconds)
    {
        var (code, output, error) = await ServingCli.RunAsync("infer", "tabular", "--input", Golden, "--timeout", seconds);

        Assert.NotEqual(0, code);
        Assert.Contains($"--timeout '{seconds}' is not a number of seconds: give a whole number from 1 to 3600", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARestPort_ExitTwo_SaysItSpeaksHttp11Only()
    {
        var (code, _, error) = await ServingCli.RunAsync("infer", "tabular", "--input", Golden, "--grpc", $"127.0.0.1:{fixture.Gateway.Listeners.RestPort}");

        Assert.Equal(2, code);
        Assert.Contains($"http://127.0.0.1:{fixture.Gateway.Listeners.RestPort}/ speaks HTTP/1.1 only, not gRPC: is it a REST port?", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownModel_ExitOne_WithTheStatus()
    {
        var (code, _, error) = await ServingCli.RunAsync("infer", "nope", "--input", Golden, "--grpc", $"127.0.0.1:{fixture.Gateway.Listeners.GrpcPort}");

        Assert.Equal(1, code);
        Assert.Contains("NotFound: unknown model 'nope'", error, StringComparison.Ordinal);
    }
}
