using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Serving.Hosting.Health;

/// <summary>
/// Once shutdown has begun (readiness false, the grace period running), HTTP/1.1 answers carry <c>Connection: close</c>,
/// so keep-alive callers reconnect, through their load balancer, to a replica that stays. Without it a request sent on a
/// kept-alive connection just as the listener closed got no answer at all. (HTTP/2 callers get GOAWAY from Kestrel.)
/// </summary>
public static class ConnectionCloseWhenStopping
{
    /// <summary>Adds the middleware; one read of a volatile flag per request while the role runs.</summary>
    public static IApplicationBuilder UseConnectionCloseWhenStopping(this IApplicationBuilder app)
    {
        var readiness = app.ApplicationServices.GetRequiredService<ReadinessState>();
        return app.Use((context, next) =>
        {
            if (readiness.IsStopping && HttpProtocol.IsHttp11(context.Request.Protocol))
            {
                // At the start of the answer: a proxied answer's headers are copied in after this middleware runs.
                context.Response.OnStarting(
                    static state =>
                    {
                        ((HttpResponse)state).Headers.Connection = "close";
                        return Task.CompletedTask;
                    },
                    context.Response);
            }

            return next(context);
        });
    }
}
