using System.Net.Http;
using Grpc.Core;

namespace Serving.LoadTests.Targets;

/// <summary>The result of one call: a small value so the hot loop records it without allocating.</summary>
internal readonly record struct CallOutcome(OutcomeKind Kind, int Code)
{
    /// <summary>Success.</summary>
    public static readonly CallOutcome Ok = new(OutcomeKind.Ok, 0);

    /// <summary>Not sent because too many were outstanding.</summary>
    public static readonly CallOutcome ClientSaturated = new(OutcomeKind.ClientSaturated, 0);

    /// <summary>Cancelled by the drain timeout.</summary>
    public static readonly CallOutcome CancelledAtStop = new(OutcomeKind.CancelledAtStop, 0);

    /// <summary>An unexpected client-side exception.</summary>
    public static readonly CallOutcome ClientError = new(OutcomeKind.ClientError, 0);

    /// <summary>A request on a stream answered with an error message.</summary>
    public static readonly CallOutcome StreamError = new(OutcomeKind.StreamError, 0);

    /// <summary>True when the call succeeded.</summary>
    public bool IsOk => Kind == OutcomeKind.Ok;

    /// <summary>A gRPC status.</summary>
    public static CallOutcome Grpc(StatusCode code) => new(OutcomeKind.GrpcStatus, (int)code);

    /// <summary>An HTTP status.</summary>
    public static CallOutcome Http(int status) => new(OutcomeKind.HttpStatus, status);

    /// <summary>A transport failure.</summary>
    public static CallOutcome Transport(HttpRequestError error) => new(OutcomeKind.Transport, (int)error);

    /// <summary>The kind as the report prints it.</summary>
    public string KindName => Kind switch
    {
        OutcomeKind.Ok => "ok",
        OutcomeKind.GrpcStatus => "grpc",
        OutcomeKind.HttpStatus => "http",
        OutcomeKind.Transport => "transport",
        OutcomeKind.ClientSaturated => "client-saturated",
        OutcomeKind.CancelledAtStop => "cancelled-at-stop",
        OutcomeKind.StreamError => "stream-error",
        _ => "client-error",
    };

    /// <summary>The status as the report prints it: a gRPC status name, an HTTP code, a transport error name.</summary>
    public string StatusName => Kind switch
    {
        OutcomeKind.Ok => "OK",
        OutcomeKind.GrpcStatus => ((StatusCode)Code).ToString(),
        OutcomeKind.HttpStatus => Code.ToString(System.Globalization.CultureInfo.InvariantCulture),
        OutcomeKind.Transport => ((HttpRequestError)Code).ToString(),
        _ => "-",
    };
}
