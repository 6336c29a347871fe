namespace Serving.LoadTests.Targets;

/// <summary>The class of a call's result; errors are counted per kind and code.</summary>
internal enum OutcomeKind : byte
{
    /// <summary>The call succeeded.</summary>
    Ok,

    /// <summary>A gRPC status other than OK sent by the server; the code is a <see cref="Grpc.Core.StatusCode"/>.</summary>
    GrpcStatus,

    /// <summary>A non-2xx HTTP status; the code is the status.</summary>
    HttpStatus,

    /// <summary>No answer: connection refused, reset, protocol error; the code is an <see cref="System.Net.Http.HttpRequestError"/>.</summary>
    Transport,

    /// <summary>Open model only: the request was due but <c>--max-in-flight</c> were outstanding, so it was not sent.</summary>
    ClientSaturated,

    /// <summary>Still outstanding when the drain timeout ended the run.</summary>
    CancelledAtStop,

    /// <summary>An exception the generator did not expect; the code is 0.</summary>
    ClientError,

    /// <summary>A request on a ModelStreamInfer stream answered with an <c>error_message</c> (the stream itself went on); the code is 0.</summary>
    StreamError,
}
