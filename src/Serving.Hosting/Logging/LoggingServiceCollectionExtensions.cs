using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Serving.Hosting.Configuration;

namespace Serving.Hosting.Logging;

/// <summary>Console logging every role shares: trace-correlated scopes, <c>simple</c> or <c>json</c> lines, no per-request Information lines.</summary>
public static class LoggingServiceCollectionExtensions
{
    /// <summary>
    /// Log entries written inside an <see cref="Activity"/> carry its TraceId, SpanId and ParentId as a
    /// scope, and the console prints scopes; <c>Serving:Logging:Format</c> picks the console formatter
    /// (validated: a bad value fails the start).
    /// </summary>
    public static IServiceCollection AddServingLogging(this IServiceCollection services)
    {
        services.AddOptions<LoggingOptions>().BindSettings(LoggingOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LoggingOptions>, LoggingOptionsValidator>());
        services.Configure<LoggerFactoryOptions>(o =>
            o.ActivityTrackingOptions |= ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        services.AddOptions<ConsoleLoggerOptions>().Configure<IOptions<LoggingOptions>>((console, logging) =>
            console.FormatterName = logging.Value.IsJson ? ConsoleFormatterNames.Json : ConsoleFormatterNames.Simple);
        services.Configure<SimpleConsoleFormatterOptions>(o => o.IncludeScopes = true);
        services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });

        // gRPC's server logs every failed call at Information ("Error status code ... raised"): per request, so Warning and up only.
        services.Configure<LoggerFilterOptions>(o => o.AddFilter("Grpc.AspNetCore.Server", LogLevel.Warning));
        return services;
    }
}
