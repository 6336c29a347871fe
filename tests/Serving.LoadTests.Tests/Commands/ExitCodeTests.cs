using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serving.LoadTests.Baselines.Hosting;
using Serving.LoadTests.Commands;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Commands;

/// <summary>
/// <c>serving-loadtest</c>'s exit codes, run as the process is: 2 for a usage error (a command line that does not parse,
/// or a value, file or address the command refuses), 1 for a failure at run time, 3 for a run whose calls failed. Before,
/// a parse error and the commands' own refusals exited 1, like a target that does not answer, and a run with failed calls
/// exited 2; and an impossible <c>--concurrency 0</c> was refused only after the target answered, so with nothing
/// listening it said "could not reach".
/// </summary>
public sealed class ExitCodeTests
{
    [Theory]
    [InlineData("Option '--target' is required", "run", "--model", "m")]
    [InlineData("Unrecognized command or argument '--bogus'", "run", "--target", "http://127.0.0.1:1", "--model", "m", "--bogus")]
    [InlineData("'abc' is not a duration", "run", "--target", "http://127.0.0.1:1", "--model", "m", "--duration", "abc")]
    [InlineData("Argument 'soap' not recognized", "run", "--target", "http://127.0.0.1:1", "--model", "m", "--protocol", "soap")]
    [InlineData("--target host '10.0.0.1' is not a loopback address", "run", "--target", "http://10.0.0.1:1", "--model", "m")]
    [InlineData("--mode open needs --rate", "run", "--target", "http://127.0.0.1:1", "--model", "m", "--mode", "open")]
    [InlineData("--rate is for the open model", "run", "--target", "http://127.0.0.1:1", "--model", "m", "--rate", "5")]
    [InlineData("--concurrency must be between 1 and 100000", "run", "--target", "http://127.0.0.1:1", "--model", "m", "--concurrency", "0")]
    [InlineData("--max-in-flight must be between", "run", "--target", "http://127.0.0.1:1", "--model", "m", "--mode", "open", "--rate", "5", "--max-in-flight", "0")]
    [InlineData("--json /nonexistent-folder/r.json: the folder /nonexistent-folder does not exist", "run", "--target", "http://127.0.0.1:1", "--model", "m", "--json", "/nonexistent-folder/r.json")]
    [InlineData("cannot read --input-file", "run", "--target", "http://127.0.0.1:1", "--model", "m", "--input-file", "/nonexistent-folder/request.json")]
    [InlineData("--callers must be between 1 and 64", "raw-ort", "--model", "m.onnx", "--callers", "0")]
    [InlineData("--intra-op-threads must be between 0 (ORT's default) and 1024", "raw-ort", "--model", "m.onnx", "--intra-op-threads", "1025")]
    public async Task UsageError_ExitTwo_SaysWhy_NothingSent(string message, params string[] args)
    {
        var (code, output, error) = await LoadTestCli.RunAsync(args);

        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("could not reach", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// REST holds an HTTP/1.1 connection, one open file, per request in flight: a setting past the open-file limit is
    /// refused before anything is sent. Before, --max-in-flight 20000 under ulimit -n 20000 ran, its connections past the
    /// limit failing with "Too many open files in system", and the report counted them as the target's failures.
    /// </summary>
    [Theory]
    [InlineData("rest-json", "--mode", "open", "--rate", "10", "--max-in-flight", "2000")]
    [InlineData("rest-binary", "--concurrency", "2000")]
    public async Task RestCallersPastTheOpenFileLimit_ExitTwo_SaysTheLimit(string protocol, params string[] load)
    {
        var option = load.Contains("--max-in-flight") ? "--max-in-flight" : "--concurrency";

        var (code, output, error) = await LoadTestCli.RunAsync(["run", "--target", "http://127.0.0.1:1", "--model", "m", "--protocol", protocol, .. load], openFiles: 1024);

        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Contains($"error: {option} 2000 with --protocol {protocol} needs 2000 HTTP/1.1 connections, one open file each, and this process may open 1024 (ulimit -n)", error, StringComparison.Ordinal);
        Assert.Contains($"give {option} at most 768", error, StringComparison.Ordinal);
        Assert.DoesNotContain("could not reach", error, StringComparison.Ordinal);
    }

    /// <summary>The root's --help lists the codes, the baseline servers' exit 0 on Ctrl+C too (their normal stop, as <see cref="ServerLifetime"/> does).</summary>
    [Fact]
    public async Task Help_ListsTheExitCodes()
    {
        var (code, output, error) = await LoadTestCli.RunAsync(["--help"]);

        Assert.True(code == 0, $"exit {code}: {output}{error}");
        var help = System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
        Assert.Contains("Exit codes: 0 done; 1 a failure at run time", help, StringComparison.Ordinal);
        Assert.Contains("2 a usage error", help, StringComparison.Ordinal);
        Assert.Contains("3 run: some calls failed", help, StringComparison.Ordinal);
        Assert.Contains("130 stopped by Ctrl+C or SIGTERM", help, StringComparison.Ordinal);
        Assert.Contains("except echo-server and naive-server, whose normal stop it is (0)", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingListeningAtTheTarget_ExitOne()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, output, error) = await LoadTestCli.RunAsync(["run", "--target", $"http://127.0.0.1:{port}", "--model", "m"]);

        Assert.True(code == 1, $"exit {code}: {output}{error}");
        Assert.Contains($"error: could not reach http://127.0.0.1:{port}/", error, StringComparison.Ordinal);
    }

    /// <summary>A target that answers the first request and fails the rest: the report is printed and the exit code is 3.</summary>
    [Fact]
    public async Task CallsFailed_ReportPrinted_ExitThree()
    {
        var calls = 0;
        await using var server = await BaselineHost.StartAsync(
            BaselinePorts.Any,
            _ => { },
            app => app.MapPost("/v2/models/{model}/infer", (HttpContext context) =>
            {
                context.Response.ContentType = "application/json";
                return Interlocked.Increment(ref calls) == 1
                    ? context.Response.WriteAsync("{}")
                    : Results.Json(new { error = "refused" }, statusCode: 500).ExecuteAsync(context);
            }),
            owned: null,
            CancellationToken.None);
        var request = Path.Combine(Directory.CreateTempSubdirectory("loadtest-exit-").FullName, "request.json");
        await File.WriteAllTextAsync(request, """{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}""");

        var (code, output, error) = await LoadTestCli.RunAsync(
            ["run", "--target", server.Http1Address.ToString().TrimEnd('/'), "--protocol", "rest-json", "--model", "m", "--input-file", request,
             "--warmup", "0", "--duration", "10s", "--requests", "20", "--quiet"]);

        Assert.True(code == 3, $"exit {code}: {output}{error}");
        Assert.Contains("| http | 500 | 20 |", output, StringComparison.Ordinal);
        File.Delete(request);
    }
}
