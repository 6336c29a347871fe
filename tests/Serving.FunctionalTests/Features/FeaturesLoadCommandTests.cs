using Serving.Testing;

namespace Serving.FunctionalTests.Features;

/// <summary>
/// <c>serving features load</c> against a real redis-server: what it shows of the connection string, where its progress
/// goes, and the one line it gives when Redis is unreachable, refuses the password or goes away part way.
/// </summary>
public sealed class FeaturesLoadCommandTests : IAsyncLifetime
{
    private const string Password = "s3cretpass";
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private static string[] Load(string redisOption, params string[] redis) =>
        ["features", "load", "--model", "tabular", "--file", FeatureTestData.CsvPath, "--models", RepoPaths.Models, .. redisOption.Length == 0 ? Array.Empty<string>() : [redisOption], .. redis];

    // Runs of white space as one space: the assertions read the words, not the padding of the table.
    private static string Flat(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");

    /// <summary>Before, the progress line read 'loading features.csv into 127.0.0.1:6385,password=s3cretpass: 16%', on stdout with the report.</summary>
    [Theory]
    [InlineData("--redis")]
    [InlineData("Serving__Features__Redis")]
    public async Task Load_PasswordInTheConnectionString_NeverShown_ProgressOnStderrReportOnStdout(string given)
    {
        await _redis.Database.ExecuteAsync("CONFIG", "SET", "requirepass", Password);
        var connection = $"127.0.0.1:{_redis.Port},password={Password}";

        var (code, output, error) = given == "--redis"
            ? await ServingRun.RunApartAsync(Load("--redis", connection))
            : await ServingRun.RunApartAsync(Load(""), environment: new Dictionary<string, string> { [given] = connection });

        Assert.True(code == 0, output + error);
        Assert.DoesNotContain(Password, output + error, StringComparison.Ordinal);
        Assert.Contains($"loading features.csv (569 rows) into 127.0.0.1:{_redis.Port},password=*****", Flat(error), StringComparison.Ordinal);
        Assert.DoesNotContain("loading", output, StringComparison.Ordinal);
        Assert.Contains("wrote 569 entities, refused 0 rows", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// SIGTERM (as Ctrl+C) part way through a long load: it waits for the writes it sent and says how far it got, exit
    /// 130. Before, the process ended at once with no count (the command line left signals to the runtime).
    /// </summary>
    [Fact]
    public async Task Load_SignalledPartWay_Exit130_SaysTheRowsWritten_AsManyAsRedisHolds()
    {
        using var folder = new TempDirectory();
        var source = File.ReadLines(FeatureTestData.CsvPath).ToList();
        var row = source[1][(source[1].IndexOf(',', StringComparison.Ordinal) + 1)..];
        var csv = folder.Write("big.csv", string.Join("\n", [source[0], .. Enumerable.Range(1, 300_000).Select(i => $"{i},{row}")]) + "\n");

        var (code, output, error) = await ServingRun.RunAndSignalAsync(
            ["features", "load", "--model", "tabular", "--file", csv, "--models", RepoPaths.Models, "--redis", $"127.0.0.1:{_redis.Port}"],
            async () => (long)await _redis.Database.ExecuteAsync("DBSIZE") > 1000,
            "TERM");

        Assert.True(code == 130, output + error);
        var said = System.Text.RegularExpressions.Regex.Match(Flat(error), @"cancelled after line (\d+) of big\.csv; (\d+) row\(s\) were written\. Writes are idempotent");
        Assert.True(said.Success, output + error);
        var written = long.Parse(said.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(written, 1001, 299_999);
        Assert.Equal(written, (long)await _redis.Database.ExecuteAsync("DBSIZE"));
        Assert.Equal(written + 1, long.Parse(said.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Before: an empty file was announced as '(-1 rows)', and blank lines counted as rows.</summary>
    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 2)]
    public async Task Load_ProgressLine_CountsTheRowsToLoad_NotBlankLinesNorAHeaderThatIsNotThere(int rows, int expected)
    {
        using var folder = new TempDirectory();
        var lines = File.ReadLines(FeatureTestData.CsvPath).Take(rows + 1).ToList();
        var csv = folder.Write("c.csv", rows == 0 ? "" : string.Join("\n", lines) + "\n\n  \n");

        var (_, _, error) = await ServingRun.RunApartAsync(
            ["features", "load", "--model", "tabular", "--file", csv, "--models", RepoPaths.Models, "--redis", $"127.0.0.1:{_redis.Port}"]);

        Assert.Contains($"loading c.csv ({expected} rows) into", Flat(error), StringComparison.Ordinal);
    }

    /// <summary>Before: 'cannot reach Redis at 127.0.0.1:6385,password=wrongpass: …' and '(start redis-server or give --redis)'.</summary>
    [Fact]
    public async Task Load_WrongPassword_ExitCode1_SaysToCheckThePassword_WithoutShowingIt()
    {
        await _redis.Database.ExecuteAsync("CONFIG", "SET", "requirepass", Password);

        var (code, text) = await ServingRun.RunAsync(Load("--redis", $"127.0.0.1:{_redis.Port},password=wrongpass"));
        var output = Flat(text);

        Assert.True(code == 1, output);
        Assert.DoesNotContain("wrongpass", output, StringComparison.Ordinal);
        Assert.Contains($"Redis at 127.0.0.1:{_redis.Port},password=***** refused the credentials", output, StringComparison.Ordinal);
        Assert.Contains("check password=", output, StringComparison.Ordinal);
        Assert.DoesNotContain("start redis-server", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// With stderr and stdout redirected (a log file, CI) a message is one line however long, and so is a row of the
    /// refused-rows table. Before, Spectre.Console broke them at 80 columns: "serving features: cannot reach Redis at
    /// 127.0.0.1:47499 (no Redis answered \nthere): start redis-server there, …".
    /// </summary>
    [Fact]
    public async Task Load_Redirected_LongLinesNotWrapped()
    {
        _redis.Stop();

        var (code, stdout, stderr) = await ServingRun.RunApartAsync(Load("--redis", $"127.0.0.1:{_redis.Port}"));

        Assert.True(code == 1, stdout + stderr);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"serving features: cannot reach Redis at 127.0.0.1:{_redis.Port} (", line, StringComparison.Ordinal);
        Assert.EndsWith("start redis-server there, or give --redis the host:port of one", line.TrimEnd(), StringComparison.Ordinal);
        Assert.True(line.Length > 80, line);
    }

    /// <summary>
    /// With stderr redirected (a log file, CI) the progress is a line at each tenth of the rows, and one at the end. Before,
    /// Spectre.Console's bar drew nothing there: a long load said nothing until its report.
    /// </summary>
    [Fact]
    public async Task Load_Redirected_ProgressAsLines_EachTenth_AndTheEnd()
    {
        var (code, stdout, stderr) = await ServingRun.RunApartAsync([.. Load("--redis", $"127.0.0.1:{_redis.Port}"), "--batch", "50"]);

        Assert.True(code == 0, stdout + stderr);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).Where(l => l.StartsWith("loaded ", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [
                "loaded 50 of 569 rows (8%)", "loaded 100 of 569 rows (17%)", "loaded 150 of 569 rows (26%)", "loaded 200 of 569 rows (35%)",
                "loaded 250 of 569 rows (43%)", "loaded 300 of 569 rows (52%)", "loaded 350 of 569 rows (61%)", "loaded 400 of 569 rows (70%)",
                "loaded 500 of 569 rows (87%)", "loaded 550 of 569 rows (96%)", "loaded 569 of 569 rows (100%)",
            ],
            lines);
        Assert.Contains("wrote 569 entities, refused 0 rows", stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// Before, the line ended with StackExchange.Redis's advice for code: 'use abortConnect=false … in your code'; and it
    /// went to stdout, with the report, so <c>serving features load … &gt; report.txt</c> showed nothing and exited 1.
    /// </summary>
    [Fact]
    public async Task Load_RedisDown_ExitCode1_OneLineSayingWhatToDo_OnStderr()
    {
        _redis.Stop();

        var (code, stdout, stderr) = await ServingRun.RunApartAsync(Load("--redis", $"127.0.0.1:{_redis.Port}"));
        var output = Flat(stderr);

        Assert.True(code == 1, stdout + stderr);
        Assert.Equal("", stdout);
        Assert.Contains($"serving features: cannot reach Redis at 127.0.0.1:{_redis.Port} (", output, StringComparison.Ordinal);
        Assert.Contains("start redis-server there, or give --redis the host:port of one", output, StringComparison.Ordinal);
        Assert.DoesNotContain("abortConnect", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("in your code", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// On a terminal the progress bar shows the file's name, which Spectre.Console reads as markup: before, a file named
    /// feat[1].csv ended the load with "Unhandled exception: System.InvalidOperationException: Unbalanced markup stack"
    /// and a stack trace, exit 1, no report (seen sweeping the feature CSV by hand through the real command). Runs the
    /// command under a pseudo-terminal (util-linux's <c>script</c>), as an operator's shell does.
    /// </summary>
    [Fact]
    public async Task Load_OnATerminal_FileNameWithBrackets_LoadsAndReports()
    {
        using var folder = new TempDirectory();
        var csv = folder.Write("feat[1].csv", string.Join("\n", File.ReadLines(FeatureTestData.CsvPath).Take(20)) + "\n");
        var command = string.Join(' ', new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "serving.dll"), "features", "load", "--model", "tabular", "--file", csv, "--models", RepoPaths.Models, "--redis", $"127.0.0.1:{_redis.Port}" }.Select(a => $"'{a}'"));
        var info = new System.Diagnostics.ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-qec", command, "/dev/null" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["TERM"] = "xterm";
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var text = await output + await error;

        Assert.True(process.ExitCode == 0, text);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.Contains("wrote 19 entities, refused 0 rows", System.Text.RegularExpressions.Regex.Replace(text, @"\e\[[0-9;?]*[A-Za-z]", ""), StringComparison.Ordinal);
        Assert.Equal(19L, (long)await _redis.Database.ExecuteAsync("DBSIZE"));
    }

    /// <summary>
    /// A CSV the loader refuses as a whole (only its header can make it) is named, with its line: before, the line read
    /// 'serving features: the CSV header lacks the model's fields: …' or 'serving features: the header must name an id
    /// column …' (an empty file), naming neither the file nor the line (seen sweeping the feature CSV through the real
    /// command).
    /// </summary>
    [Theory]
    [InlineData("", "the header must name an id column")]
    [InlineData("id,a\n1,2\n", "the CSV header lacks the model's fields: mean_radius")]
    [InlineData("id,\"mean_radius\n1,2\n", "the header is not valid CSV: column 2 opens a quote")]
    public async Task Load_HeaderRefused_Exit1_NamesTheFileAndLine(string text, string reason)
    {
        using var folder = new TempDirectory();
        var csv = folder.Write("customers.csv", text);

        var (code, stdout, stderr) = await ServingRun.RunApartAsync(
            ["features", "load", "--model", "tabular", "--file", csv, "--models", RepoPaths.Models, "--redis", $"127.0.0.1:{_redis.Port}"]);

        Assert.True(code == 1, stdout + stderr);
        Assert.Contains($"serving features: customers.csv line 1 (the header): {reason}", Flat(stderr), StringComparison.Ordinal);
        Assert.Contains("(fix the file and run again)", Flat(stderr), StringComparison.Ordinal);
        Assert.Equal(0L, (long)await _redis.Database.ExecuteAsync("DBSIZE"));
    }
}
