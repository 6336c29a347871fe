using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Serving.LoadTests.Baselines.Echo;
using Serving.LoadTests.Baselines.Hosting;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Commands;

/// <summary>
/// <c>serving-loadtest run</c> stopped by Ctrl+C (SIGINT) or SIGTERM part way through its window, against the echo server:
/// it prints the report of the part that ran, says in it (Markdown and JSON) that the run stopped early, and exits 130.
/// Before, it printed a report like that of a finished run and exited 0, so a script took a cut-short run for a whole one.
/// </summary>
public sealed class RunInterruptedTests
{
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task StoppedBySignal_ReportOfWhatRan_SaysStoppedEarly_Exit130(string signal)
    {
        await using var echo = await EchoServer.StartAsync(new EchoServerOptions(BaselinePorts.Any, Features: 4), CancellationToken.None);
        var folder = Directory.CreateTempSubdirectory("loadtest-interrupted-");
        var json = Path.Combine(folder.FullName, "r.json");
        string[] args = ["run", "--target", echo.Http2Address.ToString().TrimEnd('/'), "--model", "m", "--concurrency", "2", "--warmup", "0", "--duration", "2m", "--json", json];
        using var process = LoadTestCli.Start(args);
        var output = process.StandardOutput.ReadToEndAsync();
        try
        {
            // Progress comes once a second on stderr; the signal goes once a line shows answered calls in the window.
            var progress = new List<string>();
            while (await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
            {
                progress.Add(line);
                if (line.Contains("measure]", StringComparison.Ordinal) && !line.Contains(" ok          0 ", StringComparison.Ordinal))
                {
                    break;
                }
            }

            if (process.HasExited)
            {
                Assert.Fail($"the run ended before the signal: {string.Join('\n', progress)}{await output}");
            }

            using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            var rest = process.StandardError.ReadToEndAsync();
            await LoadTestCli.WaitForExitAsync(process, args);
            var (code, report, error) = (process.ExitCode, await output, string.Join('\n', progress) + await rest);

            Assert.True(code == 130, $"exit {code}: {report}{error}");
            Assert.Contains("**Stopped early:** cancelled (Ctrl+C, SIGTERM or a time bound)", report, StringComparison.Ordinal);
            Assert.Contains("the figures cover the", report, StringComparison.Ordinal);
            using var saved = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            Assert.StartsWith("cancelled", saved.RootElement.GetProperty("stopped_early").GetString(), StringComparison.Ordinal);

            // The figures are those of the part that ran: answered calls, far fewer seconds than the 2 min window.
            Assert.True(saved.RootElement.GetProperty("succeeded").GetInt64() > 0, report);
            Assert.InRange(saved.RootElement.GetProperty("measured_seconds").GetDouble(), 0.001, 110);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            folder.Delete(recursive: true);
        }
    }
}
