using Serving.Commands;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Commands;

/// <summary>
/// A setting that is not of its type stops a role with exit code 2 and one line naming the key, the value, what it
/// takes and how to set it: no stack trace. (The configuration binder throws before any validator runs.) An argument
/// that is neither an option nor a setting stops it with exit code 2, a usage error (it was dropped without a word; then
/// it exited 1, the code of a failure at run time).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class StartupErrorTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("serving-startup-errors-").FullName;

    [Fact]
    public async Task Gateway_UnknownEnumValue_NamesTheKeyAndTheChoices()
    {
        var (code, _, error) = await ServingCli.RunAsync(Gateway("--Serving:Gateway:RestToWorkers=Http1"));

        Assert.Equal(2, code);
        Assert.Equal(
            "serving: invalid configuration: Serving:Gateway:RestToWorkers 'Http1' is not one of Auto, Http2, Http11. "
            + "Set it with --Serving:Gateway:RestToWorkers=VALUE or the environment variable Serving__Gateway__RestToWorkers.",
            error.Trim());
    }

    [Fact]
    public async Task Gateway_NotATimeSpan_SaysWhatATimeSpanLooksLike()
    {
        var (code, _, error) = await ServingCli.RunAsync(Gateway("--Serving:Gateway:ActivityTimeout=soon"));

        Assert.Equal(2, code);
        Assert.StartsWith("serving: invalid configuration: Serving:Gateway:ActivityTimeout 'soon' is not a time span such as 00:00:30", error, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error.Split('\n', 2)[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_NotANumber_SaysItTakesAWholeNumber()
    {
        var (code, _, error) = await ServingCli.RunAsync(
            "worker", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--Serving:Worker:MaxRequestBytes=lots");

        Assert.Equal(2, code);
        Assert.Equal(
            "serving: invalid configuration: Serving:Worker:MaxRequestBytes 'lots' is not a whole number. "
            + "Set it with --Serving:Worker:MaxRequestBytes=VALUE or the environment variable Serving__Worker__MaxRequestBytes.",
            error.Trim());
    }

    [Theory]
    [InlineData("worker", "--rest-port=70000", "Serving:Worker:RestPort must be between 0 and 65535")]
    [InlineData("worker", "--Serving:Worker:MaxRequestBytes=10", "Serving:Worker:MaxRequestBytes must be between 1024 and 2147483648")]
    [InlineData("gateway", "--rest-port=-1", "Serving:Gateway:RestPort must be between 0 and 65535")]
    [InlineData("worker", "--Serving:Tracing:ExportFlushTimeout=00:02:00", "Serving:Tracing:ExportFlushTimeout must be between 00:00:00 and 00:01:00")]
    public async Task OutOfRange_NamesTheKeyAndTheRange_NotTheOptionsType(string role, string setting, string message)
    {
        // Every port 0 but the one set: a start that passed would not hold a fixed port.
        string[] ports = [.. new[] { "--rest-port", "--grpc-port", "--metrics-port" }.Where(p => !setting.StartsWith(p, StringComparison.Ordinal)).SelectMany(p => new[] { p, "0" })];
        string[] args = role == "worker"
            ? ["worker", "--models", RepoPaths.Models, .. ports, setting]
            : ["gateway", "--worker", "127.0.0.1:1:2", "--data-dir", _dataDirectory, .. ports, setting];

        var (code, _, error) = await ServingCli.RunAsync(args);

        Assert.Equal(2, code);
        var key = message[..message.IndexOf(' ', StringComparison.Ordinal)];
        Assert.Equal(
            $"serving: invalid configuration: {message}. Set it with --{key}=VALUE or the environment variable {key.Replace(":", "__", StringComparison.Ordinal)}.",
            error.Trim());
    }

    [Fact]
    public async Task Up_NotABoolean_StopsBeforeAnyRoleListens()
    {
        var (code, output, error) = await ServingCli.RunAsync(
            "up", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0", "--drift-grpc-port", "0", "--drift-rest-port", "0",
            "--drift-archive", _dataDirectory, "--Serving:Worker:EnableBatching=maybe");

        Assert.Equal(2, code);
        Assert.StartsWith("serving up: invalid configuration: Serving:Worker:EnableBatching 'maybe' is not true or false.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_ModelRepositoryNotAFolder_ExitTwo_SaysWhatToGive()
    {
        var missing = Path.Combine(_dataDirectory, "no-such-models");

        var (code, output, error) = await ServingCli.RunAsync(
            "up", "--models", missing, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0", "--drift-grpc-port", "0", "--drift-rest-port", "0",
            "--drift-archive", _dataDirectory);

        Assert.Equal(2, code);
        Assert.Equal($"serving up: the model repository '{missing}' is not a folder: give --models the folder that holds <model>/<version>/model.onnx (the repository's own is ./models)", error.Trim());
        Assert.DoesNotContain("serving up: gateway ", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A bind address this machine doesn't have (192.0.2.1, a documentation address): exit 2 and one line saying so and
    /// what to give, not a SocketException's stack trace.
    /// </summary>
    [Theory]
    [InlineData("worker")]
    [InlineData("gateway")]
    [InlineData("drift")]
    [InlineData("up")]
    public async Task BindAddressNotThisMachines_ExitTwo_SaysWhatToGive(string role)
    {
        string[] args = role switch
        {
            "worker" => ["worker", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0"],
            "gateway" => ["gateway", "--worker", "127.0.0.1:1:2", "--data-dir", _dataDirectory, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0"],
            "drift" => ["drift", "--models", RepoPaths.Models, "--archive", _dataDirectory, "--grpc-port", "0", "--rest-port", "0"],
            _ => ["up", "--models", RepoPaths.Models, "--drift-archive", _dataDirectory, "--Serving:Gateway:DataDirectory=" + _dataDirectory,
                "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0", "--drift-grpc-port", "0", "--drift-rest-port", "0"],
        };

        var (code, output, error) = await ServingCli.RunAsync([.. args, "--bind", "192.0.2.1"]);

        Assert.True(code == 2, $"exit {code}: {error}");
        Assert.EndsWith(
            "the bind address is not one of this machine's. Use 0.0.0.0 (every address), 127.0.0.1, or an address this machine has (--bind).",
            error.Trim().Split('\n')[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    /// <summary>An appsettings.json that isn't JSON, in the folder the command runs in: exit 2 and one line naming the file.</summary>
    [Fact]
    public async Task ConfigurationFileNotJson_ExitTwo_NamesTheFile()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dataDirectory, "cwd")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), "{\"Serving\": {");
        var (code, output) = await ServingRun.RunAsync(["worker", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0"], folder);

        Assert.True(code == 2, $"exit {code}: {output}");
        Assert.Contains($"serving: invalid configuration: Failed to load configuration from file '{Path.Combine(folder, "appsettings.json")}'", output, StringComparison.Ordinal);
        Assert.Contains("Fix the file (JSON) or move it away.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A <c>Serving:…</c> setting no role reads (a misspelled key) stops the start with exit code 2 and one line that names
    /// it as its source spells it and the key meant: before, it changed nothing, without a word.
    /// </summary>
    [Fact]
    public async Task Worker_MisspelledSetting_ExitTwo_NamesTheKeyMeant()
    {
        var (code, output, error) = await ServingCli.RunAsync(
            "worker", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--Serving:Worker:MaxRequestByte=2048");

        Assert.Equal(2, code);
        Assert.Equal(
            "serving: invalid configuration: --Serving:Worker:MaxRequestByte is not a setting: Serving:Worker has no MaxRequestByte "
            + "(did you mean Serving:Worker:MaxRequestBytes?)",
            error.Trim());
        Assert.DoesNotContain("ready", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_MisspelledEnvironmentVariable_ExitTwo_NamesTheVariable()
    {
        var (code, output, error) = await ServingRun.RunApartAsync(
            ["gateway", "--worker", "127.0.0.1:1:2", "--data-dir", _dataDirectory, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0"],
            environment: new Dictionary<string, string> { ["Serving__Gateway__Rollback__CheckIntervl"] = "00:00:05" });

        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Equal(
            "serving: invalid configuration: the environment variable Serving__Gateway__Rollback__CheckIntervl is not a setting: "
            + "Serving:Gateway:Rollback has no CheckIntervl (did you mean Serving:Gateway:Rollback:CheckInterval?)",
            error.Trim());
    }

    [Fact]
    public async Task Drift_MisspelledSettingInAppSettings_ExitTwo_NamesTheFile()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dataDirectory, "cwd-drift")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), """{ "Serving": { "Drift": { "Window": { "Capacty": 200 } } } }""");

        var (code, output) = await ServingRun.RunAsync(
            ["drift", "--models", RepoPaths.Models, "--archive", _dataDirectory, "--grpc-port", "0", "--rest-port", "0"], folder);

        Assert.True(code == 2, $"exit {code}: {output}");
        Assert.Equal(
            $"serving: invalid configuration: Serving:Drift:Window:Capacty (in {Path.Combine(folder, "appsettings.json")}) is not a setting: "
            + "Serving:Drift:Window has no Capacty (did you mean Serving:Drift:Window:Capacity?)",
            output.Trim());
    }

    /// <summary><c>up</c> checks each role's settings before any listens; a section no role has is refused too.</summary>
    [Fact]
    public async Task Up_MisspelledSection_StopsBeforeAnyRoleListens()
    {
        var (code, output, error) = await ServingCli.RunAsync(
            "up", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0", "--drift-grpc-port", "0", "--drift-rest-port", "0",
            "--drift-archive", _dataDirectory, "--Serving:Gatway:AdminToken=secret");

        Assert.Equal(2, code);
        Assert.StartsWith(
            "serving up: invalid configuration: --Serving:Gatway:AdminToken is not a setting: no section Serving:Gatway (did you mean Serving:Gateway?)",
            error, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", output, StringComparison.Ordinal);
    }

    /// <summary>A worker given a file for its model repository says so (it said "does not exist"), and what to give.</summary>
    [Fact]
    public async Task Worker_ModelRepositoryIsAFile_LogSaysItIsAFile()
    {
        var file = Path.Combine(_dataDirectory, "not-a-folder");
        await File.WriteAllTextAsync(file, "x");
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "serving.dll"), "worker", "--models", file, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? line;
            var seen = new System.Text.StringBuilder();
            while ((line = await process.StandardOutput.ReadLineAsync(timeout.Token)) is not null && !line.Contains("no models are served", StringComparison.Ordinal))
            {
                seen.AppendLine(line);
            }

            Assert.True(line is not null, $"no warning about the repository: {seen}");
            Assert.Contains($"Model repository {file} is a file, not a folder; no models are served (give --models the folder that holds <model>/<version>/model.onnx)", line, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>A port already taken: exit 2 and one line that names the address, and the options that set this command's ports.</summary>
    [Theory]
    [InlineData("worker", "--rest-port", "Another server may hold it: stop it, or pick other ports with --rest-port, --grpc-port or --metrics-port.")]
    [InlineData("gateway", "--grpc-port", "Another server may hold it: stop it, or pick other ports with --rest-port, --grpc-port, --metrics-port or --admin-port.")]
    [InlineData("drift", "--grpc-port", "Another server may hold it: stop it, or pick other ports with --grpc-port or --rest-port.")]
    [InlineData("up", "--drift-grpc-port", "Another `serving up`, or another server, may hold it: stop it, or pick other ports with --drift-grpc-port or --drift-rest-port.")]
    [InlineData("up", "--rest-port", "Another `serving up`, or another server, may hold it: stop it, or pick other ports with --rest-port, --grpc-port or --metrics-port (the admin API: --Serving:Gateway:AdminPort=N).")]
    public async Task PortTaken_ExitTwo_NamesTheAddressAndTheOptionsThatMoveIt(string role, string taken, string hint)
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] ports = role switch
        {
            "drift" => ["--grpc-port", "0", "--rest-port", "0"],
            "up" => ["--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0", "--drift-grpc-port", "0", "--drift-rest-port", "0"],
            _ => ["--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0"],
        };
        ports[Array.IndexOf(ports, taken) + 1] = port;
        string[] args = role switch
        {
            "worker" => ["worker", "--models", RepoPaths.Models, "--bind", "127.0.0.1"],
            "gateway" => ["gateway", "--worker", "127.0.0.1:1:2", "--bind", "127.0.0.1", "--data-dir", _dataDirectory],
            "drift" => ["drift", "--models", RepoPaths.Models, "--bind", "127.0.0.1", "--archive", _dataDirectory],
            _ => ["up", "--models", RepoPaths.Models, "--drift-archive", _dataDirectory, "--Serving:Gateway:DataDirectory=" + _dataDirectory],
        };

        var (code, output, error) = await ServingCli.RunAsync([.. args, .. ports]);

        Assert.Equal(2, code);
        var line = error.Trim().Split('\n')[^1];
        Assert.Equal($"serving{(role == "up" ? " up" : "")}: could not listen: Failed to bind to address http://127.0.0.1:{port}: address already in use. {hint}", line);
        Assert.DoesNotContain($"{role} ready: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("serving up: gateway ", output, StringComparison.Ordinal);

        // The one line says it all: the host's own log of the failure (with the stack trace) is not printed too.
        Assert.DoesNotContain("Hosting failed to start", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    /// <summary>An OTLP endpoint that is no http(s) URL: exit 2 naming the key (it ended every role with a UriFormatException's stack trace).</summary>
    [Theory]
    [InlineData("worker", "127.0.0.1:4317")]
    [InlineData("worker", "localhost:4317")]
    [InlineData("gateway", "notaurl")]
    [InlineData("drift", "ftp://collector:4317")]
    public async Task OtlpEndpointNotAUrl_ExitTwo_NamesTheKey(string role, string endpoint)
    {
        string[] args = role switch
        {
            "worker" => ["worker", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0"],
            "gateway" => ["gateway", "--worker", "127.0.0.1:1:2", "--data-dir", _dataDirectory, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0"],
            _ => ["drift", "--models", RepoPaths.Models, "--archive", _dataDirectory, "--grpc-port", "0", "--rest-port", "0"],
        };

        var (code, output, error) = await ServingCli.RunAsync([.. args, "--Serving:Tracing:OtlpEndpoint=" + endpoint]);

        Assert.True(code == 2, $"exit {code}: {error}");
        Assert.Equal(
            $"serving: invalid configuration: Serving:Tracing:OtlpEndpoint must be an http:// or https:// URL with a host, e.g. http://otel-collector:4317 (was '{endpoint}')",
            error.Trim().Split('\n')[^1]);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("worker", "Serving:Worker:BindAddress")]
    [InlineData("gateway", "Serving:Gateway:BindAddress")]
    [InlineData("drift", "Serving:Drift:BindAddress")]
    public async Task HostNameAsBindAddress_Refused_NotEveryInterface(string role, string key)
    {
        // A name was taken as 0.0.0.0 by the worker and the drift monitor: "localhost" listened on every interface.
        string[] args = role switch
        {
            "worker" => ["worker", "--models", RepoPaths.Models, "--metrics-port", "0"],
            "gateway" => ["gateway", "--worker", "127.0.0.1:1:2", "--metrics-port", "0", "--data-dir", _dataDirectory],
            _ => ["drift", "--models", RepoPaths.Models, "--archive", _dataDirectory],
        };

        var (code, output, error) = await ServingCli.RunAsync([.. args, "--bind", "localhost", "--rest-port", "0", "--grpc-port", "0"]);

        Assert.Equal(2, code);
        Assert.Contains($"{key} 'localhost' is not an IP address; use 127.0.0.1 for this machine only, 0.0.0.0 for every interface", error, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_MistypedOption_RefusedNotDropped()
    {
        var (code, output, error) = await ServingCli.RunAsync(
            "worker", "--models", RepoPaths.Models, "--rest-prot", "9000", "--grpc-port", "0", "--metrics-port", "0");

        Assert.Equal(2, code);
        Assert.StartsWith("serving worker: unknown option '--rest-prot'. See 'serving worker --help' for the options", error, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_StrayWord_Refused()
    {
        var (code, _, error) = await ServingCli.RunAsync([.. Gateway("--Serving:Gateway:DiscoveryInterval=00:00:01"), "extra"]);

        Assert.Equal(2, code);
        Assert.Equal("serving gateway: unexpected argument 'extra'. See 'serving gateway --help'.", error.Trim());
    }

    [Fact]
    public async Task Up_UnknownSetting_WithoutSection_Refused()
    {
        var (code, _, error) = await ServingCli.RunAsync("up", "--models", RepoPaths.Models, "--maxbatch=8");

        Assert.Equal(2, code);
        Assert.StartsWith("serving up: unknown option '--maxbatch=8'.", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Serving:Worker:MaxRequestBytes=1048576")]
    [InlineData("--Serving:Worker:MaxRequestBytes", "1048576")]
    [InlineData("/Serving:Worker:MaxRequestBytes=1048576")]
    [InlineData("Serving:Worker:MaxRequestBytes=1048576")]
    [InlineData("--Logging:LogLevel:Default", "Warning")]
    [InlineData("--environment", "Production")]
    [InlineData("--contentRoot=/tmp", "--Serving:Worker:EnableBatching", "false")]
    public void Settings_WithTheirSection_OrTheHostsOwnKeys_Accepted(params string[] arguments) =>
        Assert.Null(SettingArguments.FindUnknown(arguments, "worker"));

    [Theory]
    [InlineData("--rest-prot", "9000")]
    [InlineData("--Serving:Worker:RestPort=0", "--verbose=true")]
    [InlineData("-v")]
    [InlineData("extra")]
    [InlineData("--Serving:Worker:RestPort", "0", "extra")]
    public void Others_Refused(params string[] arguments) =>
        Assert.NotNull(SettingArguments.FindUnknown(arguments, "worker"));

    [Fact]
    public void Describe_AnythingElse_LeftAlone()
    {
        Assert.Null(StartupErrors.Describe(new InvalidOperationException("something else"), RoleRunner.WorkerPorts));
        Assert.Null(StartupErrors.Describe(new InvalidOperationException("Failed to convert configuration value 'x' at 'K' to type 'System.Int32'."), RoleRunner.WorkerPorts));
    }

    /// <summary>
    /// A setting right after a --worker value is a setting, not a second worker (--worker took every token up to the
    /// next option: "'--Serving:Gateway:…' is not HOST:REST_PORT:GRPC_PORT"). The setting here fails the start on its
    /// own terms, which shows it reached the configuration.
    /// </summary>
    [Theory]
    [InlineData("--worker")]
    [InlineData("--worker-dns")]
    public async Task SettingRightAfterAWorker_IsASetting(string option)
    {
        var (code, _, error) = await ServingCli.RunAsync(
            "gateway", "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0", "--data-dir", _dataDirectory,
            option, "localhost:1:2", "--Serving:Gateway:RestToWorkers=Http1");

        Assert.Equal(2, code);
        Assert.StartsWith("serving: invalid configuration: Serving:Gateway:RestToWorkers 'Http1' is not one of", error.Trim(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--worker", "bad", "serving gateway: --worker 'bad' is not HOST:REST_PORT:GRPC_PORT (e.g. 10.0.0.5:8080:8081)")]
    [InlineData("--worker-dns", "bad", "serving gateway: --worker-dns 'bad' is not NAME:REST_PORT:GRPC_PORT (e.g. serving-workers:8080:8081)")]
    public async Task WorkerNotThreeParts_ExitTwo_SaysTheFormOfThatOption(string option, string value, string message)
    {
        var (code, _, error) = await ServingCli.RunAsync("gateway", "--data-dir", _dataDirectory, option, value);

        Assert.Equal(2, code);
        Assert.Equal(message, error.Trim());
    }

    [Fact]
    public async Task TwoValuesAfterOneWorkerOption_Refused_RepeatTheOption()
    {
        var (code, _, error) = await ServingCli.RunAsync("gateway", "--data-dir", _dataDirectory, "--worker", "127.0.0.1:1:2", "127.0.0.1:3:4");

        Assert.NotEqual(0, code);
        Assert.Contains("127.0.0.1:3:4", error, StringComparison.Ordinal);
    }

    /// <summary>A --redis that is no connection string stops the start naming the key (the gateway started, served the defaults and refused every change).</summary>
    [Theory]
    [InlineData("127.0.0.1:6391,bogus=1")]
    [InlineData("127.0.0.1:99999")]
    [InlineData(",")]
    [InlineData("garbage,,=")]
    public async Task RedisNotAConnectionString_ExitTwo_NamesTheKey(string redis)
    {
        var (code, output, error) = await ServingCli.RunAsync([.. Gateway("--redis"), redis]);

        Assert.True(code == 2, $"exit {code}: {error}");
        Assert.StartsWith("serving: invalid configuration: Serving:Gateway:RedisConnectionString '", error.Trim().Split('\n')[^1], StringComparison.Ordinal);
        Assert.Contains("is not a Redis connection string", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    /// <summary>The same port for two of the worker's listeners is refused before any model loads (it failed after, as "address already in use").</summary>
    [Fact]
    public async Task Worker_SamePortTwice_ExitTwo_BeforeLoading()
    {
        var (code, output, error) = await ServingCli.RunAsync("worker", "--models", RepoPaths.Models, "--rest-port", "9700", "--grpc-port", "9700", "--metrics-port", "0");

        Assert.Equal(2, code);
        Assert.Equal(
            "serving: invalid configuration: Serving:Worker:RestPort and GrpcPort are all 9700: each listener needs its own port",
            error.Trim().Split('\n')[^1]);
        Assert.DoesNotContain("is ready on", output + error, StringComparison.Ordinal);
    }

    /// <summary>A --data-dir that is a file is refused at start (the gateway started, and every change was a 503 naming a file-system path).</summary>
    [Fact]
    public async Task Gateway_DataDirectoryIsAFile_ExitTwo()
    {
        var file = Path.Combine(_dataDirectory, "afile");
        await File.WriteAllTextAsync(file, "x");

        var (code, _, error) = await ServingCli.RunAsync("gateway", "--worker", "127.0.0.1:1:2", "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0", "--data-dir", file);

        Assert.Equal(2, code);
        Assert.Contains($"Serving:Gateway:DataDirectory '{file}' is a file: give a folder for the policy file (--data-dir), or --redis", error, StringComparison.Ordinal);
    }

    /// <summary>A port that is no number is refused in words, not with a .NET type name.</summary>
    [Theory]
    [InlineData("worker", "--rest-port")]
    [InlineData("gateway", "--admin-port")]
    [InlineData("drift", "--grpc-port")]
    [InlineData("up", "--drift-rest-port")]
    public async Task PortNotANumber_SaysItIsNotAPort_NoDotNetType(string role, string option)
    {
        var (code, output, error) = await ServingCli.RunAsync(role, option, "abc");

        Assert.NotEqual(0, code);
        Assert.Contains($"{option} 'abc' is not a port: give a whole number from 0 to 65535", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", output + error, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    private string[] Gateway(string setting) =>
        ["gateway", "--worker", "127.0.0.1:1:2", "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0", "--data-dir", _dataDirectory, setting];
}
