using System.Net;
using System.Text.Json;
using Serving.Testing;

namespace Serving.FunctionalTests.Hosting;

/// <summary>The README's run command: <c>serving up</c> serves the golden outputs through the gateway and logs to the drift monitor.</summary>
public sealed class ServingUpTests
{
    [Fact]
    public async Task ServingUp_GoldenThroughGateway_RecordsReachDriftMonitor_ExitsCleanOnSigterm()
    {
        using var data = new TempDirectory();
        using var process = await ServingProcess.StartAsync(
            "up", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--drift-grpc-port", "0", "--drift-rest-port", "0", "--drift-archive", data.Path);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };
        var golden = GoldenFile.Load("tabular", "1");

        // The gateway learns the worker within its discovery interval: the first calls may be 503.
        HttpResponseMessage? response = null;
        for (var i = 0; i < 100 && response?.StatusCode != HttpStatusCode.OK; i++)
        {
            response?.Dispose();
            response = await http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(golden.RequestBody()));
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await Task.Delay(100);
            }
        }

        using (response)
        {
            var text = await response!.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.Equal("1", response.Headers.GetValues("x-serving-model-version").Single());
            var values = JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (var i = 0; i < values.Length; i++)
            {
                Assert.True(Math.Abs(golden.Expected[i] - values[i]) <= 1e-5, $"element {i}");
            }
        }

        // The 16 rows reach the drift monitor's archive.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Directory.EnumerateFiles(data.Path, "*", SearchOption.AllDirectories).Any(f => File.ReadAllText(f).Contains("tabular", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "no prediction log reached the archive\n" + process.Output);
            await Task.Delay(100);
        }

        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }
}
