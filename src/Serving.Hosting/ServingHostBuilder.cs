using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Logging;
using Serving.Hosting.Metrics;

namespace Serving.Hosting;

/// <summary>The start every role's host shares (worker, gateway, drift monitor).</summary>
public static class ServingHostBuilder
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    private static readonly Dictionary<string, string?> GrpcSpans = new() { ["OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_ENABLE_GRPC_INSTRUMENTATION"] = "true" };

    /// <summary>
    /// A web application builder rooted in the current directory; <paramref name="overrides"/> win over every other
    /// configuration source and <paramref name="fallbacks"/> lose to every other (a command's defaults that differ from the
    /// options' own, such as the model repository it found: appsettings.json, the environment and the command line still
    /// set them), ASP.NET Core's per-request logs stay at Warning (no Information line per request), and
    /// the host's own log of a failed start is left to the command that prints the failure, the framework's per-request
    /// meter instruments stay off <c>/metrics</c> (<see cref="MeterPublishing"/>), and exemplars name only exported
    /// traces (<see cref="TraceExemplars"/>).
    /// </summary>
    public static WebApplicationBuilder Create(string[] args, IDictionary<string, string?>? overrides, IDictionary<string, string?>? fallbacks = null)
    {
        var builder = NewBuilder(args);
        if (fallbacks is { Count: > 0 })
        {
            builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = fallbacks });
        }

        // A traced gRPC call's server span gets its method and status (rpc.* attributes, Error for a server's fault)
        // instead of a plain POST answered 200. OpenTelemetry's ASP.NET Core instrumentation has this behind a flag.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = GrpcSpans });

        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // The host logs a failed start ("Hosting failed to start", with the stack trace) at Error, then throws it on to
        // the command, which prints it: as one line that says what to change (a port taken, an invalid setting), or
        // whole. The log only printed it twice, the stack first. Its Critical line (a BackgroundService that stops the
        // host, with the exception) and its warnings still show; its Debug lines stay off, as before.
        builder.Logging.AddFilter(HostCategory, level => level is LogLevel.Warning or LogLevel.Critical);
        MeterPublishing.Configure(builder.Configuration);
        TraceExemplars.Configure();
        return builder;
    }

    /// <summary>
    /// The value <paramref name="key"/> has in the sources a host built by <see cref="Create"/> reads (appsettings.json,
    /// the environment, <paramref name="args"/>), or null when none sets it: for a command that must know a setting
    /// before it builds its hosts.
    /// </summary>
    public static string? ConfiguredValue(string[] args, string key)
    {
        using var configuration = NewBuilder(args).Configuration;
        return configuration[key] is { Length: > 0 } value ? value : null;
    }

    private static WebApplicationBuilder NewBuilder(string[] args) =>
        WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = Directory.GetCurrentDirectory() });
}
