using System.Text.Json;
using Serving.Commands;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Commands;

/// <summary><c>serving traffic</c> against a real gateway's admin API, run in-process (tests in this assembly run one at a time, so the console can be captured).</summary>
[Collection(GatewayCollection.Name)]
public sealed class TrafficCommandTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Set_ThenGet_PolicyInForce()
    {
        var (code, output, error) = await RunAsync("traffic", "set", "tabular", "1=70", "2=30", "--sticky-header", "x-user-id", "--shadow", "2:5");

        Assert.True(code == 0, error);
        using var set = JsonDocument.Parse(output);
        Assert.Equal(70, set.RootElement.GetProperty("weights").GetProperty("1").GetInt32());
        Assert.Equal("x-user-id", set.RootElement.GetProperty("sticky_header").GetString());
        Assert.Equal(5, set.RootElement.GetProperty("shadow").GetProperty("percent").GetInt32());

        (code, output, _) = await RunAsync("traffic", "get", "tabular");
        Assert.Equal(0, code);
        Assert.Equal("1=70 2=30", Policies.Weights(JsonDocument.Parse(output).RootElement));

        (code, output, _) = await RunAsync("traffic", "list");
        Assert.Equal(0, code);
        Assert.Contains("\"healthy_workers\"", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A set replaces the policy whole, so shifting weights with the sticky header, shadow and rollback not given again
    /// turns them off; --help said nothing of it ("Set a model's weights …, sticky header, pin header, shadow and automatic rollback").
    /// </summary>
    [Fact]
    public async Task Set_WithoutTheStickyHeaderAgain_TurnsItOff_AsTheHelpSays()
    {
        var (code, _, error) = await RunAsync("traffic", "set", "tabular", "1=90", "2=10", "--sticky-header", "x-user-id");
        Assert.True(code == 0, error);

        (code, var output, error) = await RunAsync("traffic", "set", "tabular", "1=50", "2=50");
        Assert.True(code == 0, error);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(output).RootElement.GetProperty("sticky_header").ValueKind);

        (_, var help, _) = await ServingCli.RunAsync("traffic", "set", "--help");
        Assert.Contains("The policy is replaced whole: a sticky header, pin header, shadow or rollback in force that is not given again is turned off", help.ReplaceLineEndings(" "), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_Invalid_ExitOne_WithTheReason()
    {
        var (code, _, error) = await RunAsync("traffic", "set", "tabular", "1=70", "2=20");

        Assert.Equal(1, code);
        Assert.Contains("weights must add up to 100 (they add up to 90)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongToken_ExitOne_Unauthorized()
    {
        var (code, _, error) = await RunAsync(["traffic", "get", "tabular", "--admin", fixture.Gateway.Admin!.BaseAddress!.ToString(), "--token", "nope"], addDefaults: false);

        Assert.Equal(1, code);
        Assert.Contains("401", error, StringComparison.Ordinal);
    }

    /// <summary>An admin address that takes the connection and never answers ends the command at --timeout, saying so (it ended silently, exit 1, after 30 s).</summary>
    [Theory]
    [InlineData("get", "tabular")]
    [InlineData("set", "tabular", "1=100")]
    public async Task AdminThatNeverAnswers_ExitTwo_AtTheTimeout_SaysWhatToCheck(params string[] command)
    {
        // The kernel completes the connection (the backlog); nothing ever reads it or answers.
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
            var run = RunAsync(["traffic", .. command, "--admin", $"127.0.0.1:{port}", "--token", GatewayServer.AdminToken, "--timeout", "1"], addDefaults: false);
            Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, "serving traffic still waits for an admin address that never answers");

            var (code, _, error) = await run;
            Assert.Equal(2, code);
            Assert.Contains($"no answer from the admin API at http://127.0.0.1:{port}/ within 1 s: is it the gateway's admin port", error, StringComparison.Ordinal);
            Assert.Equal(command[0] == "set", error.Contains("The change may have been made", StringComparison.Ordinal));
        }
        finally
        {
            silent.Stop();
        }
    }

    /// <summary>
    /// A model name no model can have is refused before the gateway is asked, exit 2. Before: an empty name went out as
    /// GET /admin/models//policy ("404 Not Found: no endpoint at GET /admin/models//policy", exit 1), and ".." as a path
    /// step, GET /admin/policy.
    /// </summary>
    [Theory]
    [InlineData("get", "")]
    [InlineData("get", "..")]
    [InlineData("get", "a/b")]
    [InlineData("history", "")]
    [InlineData("history", "../models")]
    [InlineData("set", "", "1=100")]
    [InlineData("set", "%2e%2e", "1=100")]
    public async Task ModelNameNoModelCanHave_RefusedLocally_ExitTwo(string command, string model, params string[] rest)
    {
        var (code, output, error) = await RunAsync(["traffic", command, model, .. rest]);

        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Contains($"serving traffic {command}: '{model}' is not a model name: a model name is 1 to 128 letters, digits", error, StringComparison.Ordinal);
        Assert.DoesNotContain("/admin", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    /// <summary>A number option given something else says what it takes; before: "Cannot parse argument 'abc' for option '--window' as expected type 'System.Nullable`1[System.Int32]'".</summary>
    [Theory]
    [InlineData("--revision", "abc", "--revision 'abc' is not a revision: give the whole number `serving traffic get` shows")]
    [InlineData("--max-error-rate", "5%", "--max-error-rate '5%' is not an error rate: give a number greater than 0 and at most 1")]
    [InlineData("--min-requests", "many", "--min-requests 'many' is not a number of requests: give a whole number")]
    [InlineData("--window", "1m", "--window '1m' is not a number of seconds: give a whole number from 5 to 3600")]
    [InlineData("--max-p99-ms", "0.5", "--max-p99-ms '0.5' is not a number of milliseconds: give a whole number")]
    public async Task Set_NumberOptionNotANumber_SaysWhatItTakes_NoDotNetType(string option, string value, string message)
    {
        var (code, output, error) = await RunAsync(["traffic", "set", "tabular", "1=90", "2=10", "--rollback-baseline", "1", .. option == "--max-error-rate" ? Array.Empty<string>() : ["--max-error-rate", "0.05"], option, value]);

        Assert.NotEqual(0, code);
        Assert.Contains(message, output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminGivenAsHostPort_Works()
    {
        var admin = fixture.Gateway.Admin!.BaseAddress!;
        var (code, output, error) = await RunAsync(["traffic", "get", "tabular", "--admin", $"{admin.Host}:{admin.Port}", "--token", GatewayServer.AdminToken], addDefaults: false);

        Assert.True(code == 0, error);
        Assert.Equal("tabular", JsonDocument.Parse(output).RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData(new[] { "1=90", "2=10" }, null, null, """{"weights":{"1":90,"2":10}}""")]
    [InlineData(new[] { "1=100" }, "x-user-id", "3:5", """{"weights":{"1":100},"sticky_header":"x-user-id","shadow":{"version":"3","percent":5}}""")]
    public void PolicyBody_FromArguments(string[] weights, string? sticky, string? shadow, string expected)
    {
        Assert.Equal(expected, TrafficCommand.PolicyBody(weights, sticky, null, shadow, null));
    }

    [Theory]
    [InlineData("1:90")]
    [InlineData("1=ninety")]
    [InlineData("=90")]
    public void PolicyBody_BadWeight_FormatError(string weight)
    {
        Assert.Throws<FormatException>(() => TrafficCommand.PolicyBody([weight], null, null, null, null));
    }

    [Fact]
    public void GatewayWorkers_FromArguments()
    {
        var config = GatewayCommand.WorkerConfiguration(["10.0.0.5:8080:8081", "[::1]:9080:9081"], ["workers.default.svc:8080:8081"]);

        Assert.Equal("http://10.0.0.5:8080", config["Serving:Gateway:Workers:0:Rest"]);
        Assert.Equal("http://[::1]:9081", config["Serving:Gateway:Workers:1:Grpc"]);
        Assert.Equal("true", config["Serving:Gateway:Workers:2:ResolveDns"]);
        Assert.Throws<FormatException>(() => GatewayCommand.WorkerConfiguration(["10.0.0.5:8080"], []));
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunAsync(args, addDefaults: true);

    private Task<(int Code, string Output, string Error)> RunAsync(string[] args, bool addDefaults) =>
        ServingCli.RunAsync(addDefaults ? [.. args, "--admin", fixture.Gateway.Admin!.BaseAddress!.ToString(), "--token", GatewayServer.AdminToken] : args);
}
