using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Metrics;
using Serving.Gateway.Rollback;
using Serving.Gateway.Traffic;
using Serving.Hosting.Http;
using Serving.Protocol.Errors;

namespace Serving.Gateway.Routing;

/// <summary>
/// <c>POST /v2/models/{m}[/versions/{v}]/infer</c>: the model (and version, if any) come from the
/// path, so routing never looks at the body; the worker is told the chosen version by header. A body whose
/// Content-Length is over <see cref="GatewayOptions.MaxRequestBytes"/> is refused (413) before any of it is read.
/// </summary>
internal sealed class RestInferEndpoint(
    RoutingState routing, TrafficPolicies policies, InferenceForwarder forwarder, GatewayMetrics metrics, RollbackOutcomes outcomes, IOptions<GatewayOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var values = context.Request.RouteValues;
        var model = values["model"] as string ?? "";
        var version = values["version"] as string;
        if (!Names.IsValidName(model))
        {
            return Reject(context, GatewayMetrics.InvalidModel, RouteError.Invalid("model name is not valid: names are 1-128 characters of letters, digits, '_', '.' and '-', starting with a letter or digit"));
        }

        if (!routing.Table.TryGetModel(model, out var route))
        {
            return Reject(context, GatewayMetrics.UnknownModel, RouteError.UnknownModel(model));
        }

        if (context.Request.ContentLength > options.Value.MaxRequestBytes)
        {
            return Reject(context, route.Name, RouteError.TooLarge(options.Value.MaxRequestBytes));
        }

        if (context.Request.Headers.TransferEncoding is var transfer && !TransferCodings.AreSupported(transfer))
        {
            // Forwarded, the body would reach the worker without the coding (a hop's Transfer-Encoding is its own): 501 here.
            return Reject(context, route.Name, new RouteError(InferenceErrorCode.Unimplemented, TransferCodings.NotSupported(transfer.ToString())));
        }

        var policy = policies.Find(route.Name);
        var choice = VersionChooser.Choose(route, version, context.Request.Headers, policy);
        if (choice.Error is { } error)
        {
            outcomes.RecordUnready(route.Name, choice, policy);
            return Reject(context, route.Name, error, choice);
        }

        return forwarder.ForwardAsync(context, new GatewayRequest(route, choice, grpc: false) { BodyBytes = context.Request.ContentLength }, policy).AsTask();
    }

    // Unknown names are one label value, so callers can't grow the series without bound. A version chosen that has no
    // ready worker is counted against it and its arm (a dashboard by version sees a dead canary fail).
    private Task Reject(HttpContext context, string modelLabel, RouteError error, VersionChoice choice = default)
    {
        metrics.Observe(modelLabel, choice.Unready ?? "", choice.Unready is null ? "" : choice.Arm, "rest", GatewayMetrics.HttpCode(error.HttpStatus), 0);
        return GatewayErrors.WriteAsync(context, error, grpc: false);
    }
}
