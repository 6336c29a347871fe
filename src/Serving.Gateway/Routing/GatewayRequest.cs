namespace Serving.Gateway.Routing;

/// <summary>One routed infer request: the version chosen and why. Kept in <c>HttpContext.Features</c> for the transformer.</summary>
internal sealed class GatewayRequest(ModelRoute model, VersionChoice choice, bool grpc)
{
    public ModelRoute Model { get; } = model;

    public VersionRoute Version { get; } = choice.Version!;

    public string Arm { get; } = choice.Arm;

    /// <summary>True when the request didn't name the version and the traffic policy chose it.</summary>
    public bool PolicyChose { get; } = !choice.Named;

    public bool Grpc { get; } = grpc;

    /// <summary>
    /// A ModelStreamInfer call: routed by its first message, and streamed to the worker through YARP in both directions
    /// (never read whole, never mirrored to a shadow, never judged by automatic rollback).
    /// </summary>
    public bool Streaming { get; init; }

    /// <summary>The request body's length when known before reading it (REST Content-Length; a gRPC message's frame), else null.</summary>
    public long? BodyBytes { get; init; }

    /// <summary>
    /// Set when the caller went away while its body was read: Kestrel reports that (a reset stream, a body of known length
    /// that ended early) to the read, sometimes before it signals <c>RequestAborted</c>.
    /// </summary>
    public bool CallerLeft { get; set; }

    /// <summary>
    /// Set when the forward failed after the answer had started (the worker broke it off, or the caller left): the caller
    /// got part of an answer, and a shadow copy has nothing whole to be compared with. Kestrel signals <c>RequestAborted</c>
    /// for the abort that follows on the thread pool, so it can't be told from that token when the forward returns.
    /// </summary>
    public bool AnswerBrokeOff { get; set; }

    /// <summary>Set when a gRPC call's deadline passed before its body came: the caller's doing, which automatic rollback leaves out.</summary>
    public bool DeadlineBeforeBody { get; set; }

    /// <summary>A stream's upload to the worker, while it is forwarded (the transformer reads whether the drain ended it).</summary>
    public StreamUpload? Upload { get; set; }

    public string Protocol => Grpc ? (Streaming ? Metrics.GatewayMetrics.StreamProtocol : "grpc") : "rest";
}
