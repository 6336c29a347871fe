using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serving.Hosting.Metrics;

namespace Serving.Hosting;

/// <summary>The start every role's host shares (worker, gateway, drift monitor).</summary>
public static class ServingHostBuilder
{
    /// <summary>
    /// A web application builder rooted in the current directory; <paramref name="overrides"/> win over every other
    /// configuration source, ASP.NET Core's per-request logs stay at Warning (no Information line per request), and
    /// the framework's per-request meter instruments stay off <c>/metrics</c> (<see cref="MeterPublishing"/>), and exemplars
    /// name only exported traces (<see cref="TraceExemplars"/>).
    /// </summary>
    public static WebApplicationBuilder Create(string[] args, IDictionary<string, string?>? overrides)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = Directory.GetCurrentDirectory() });
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        MeterPublishing.Configure(builder.Configuration);
        TraceExemplars.Configure();
        return builder;
    }
}
