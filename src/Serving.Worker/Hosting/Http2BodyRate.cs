using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Serving.Worker.Hosting;

/// <summary>
/// Turns Kestrel's minimum request body data rate off for HTTP/2 requests: the gRPC port's, which also takes the
/// gateway's REST calls when they overlap. Over HTTP/2 Kestrel enforces that rate by aborting the whole connection, and
/// a gateway's connection carries many callers' calls: one caller who stopped sending its body midway (a body the gateway
/// streams on: chunked, or over 64 KiB) made the worker reset the gateway's connection, every call on it failed, and the
/// gateway took the worker out of rotation ("failed before answering", then "no ready version" for the next caller).
/// The gateway holds its callers to the rate on its own connections to them and cancels the call here when it gives up
/// on one (RST_STREAM); grpc-dotnet turns the rate off the same way for streaming calls.
/// </summary>
internal static class Http2BodyRate
{
    public static IApplicationBuilder UseNoBodyRateOverHttp2(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            if (HttpProtocol.IsHttp2(context.Request.Protocol) && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
            {
                rate.MinDataRate = null;
            }

            return next(context);
        });
}
