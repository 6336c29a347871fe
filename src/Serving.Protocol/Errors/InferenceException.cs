namespace Serving.Protocol.Errors;

/// <summary>A failure with a message that is safe to show to the caller.</summary>
public sealed class InferenceException : Exception
{
    /// <summary>Creates an error with its code and a caller-safe message.</summary>
    public InferenceException(InferenceErrorCode code, string message, int? httpStatusOverride = null)
        : base(message)
    {
        Code = code;
        HttpStatusOverride = httpStatusOverride;
    }

    /// <summary>The error's class.</summary>
    public InferenceErrorCode Code { get; }

    /// <summary>A more precise HTTP status than the code's default (413 vs 429 for ResourceExhausted).</summary>
    public int? HttpStatusOverride { get; }

    /// <summary>
    /// For a deadline expiry the caller's own deadline caused: what that deadline left the request when it began
    /// (sent as <see cref="CallerDeadlineMark"/>); null for every other error, and for the model's default timeout.
    /// </summary>
    public TimeSpan? CallerBudget { get; private init; }

    /// <summary>This error, marked as the expiry of the caller's deadline that left <paramref name="budget"/>.</summary>
    public InferenceException ForCallerDeadline(TimeSpan budget) => new(Code, Message, HttpStatusOverride) { CallerBudget = budget };

    /// <summary>The HTTP status this error answers with.</summary>
    public int HttpStatus => HttpStatusOverride ?? Code switch
    {
        InferenceErrorCode.InvalidArgument => 400,
        InferenceErrorCode.NotFound => 404,
        InferenceErrorCode.Unavailable => 503,
        InferenceErrorCode.ResourceExhausted => 429,
        InferenceErrorCode.DeadlineExceeded => 504,
        InferenceErrorCode.PermissionDenied => 403,
        InferenceErrorCode.Unimplemented => 501,
        _ => 500,
    };

    /// <summary>The gRPC status code this error answers with.</summary>
    public Grpc.Core.StatusCode GrpcStatus => Code switch
    {
        InferenceErrorCode.InvalidArgument => Grpc.Core.StatusCode.InvalidArgument,
        InferenceErrorCode.NotFound => Grpc.Core.StatusCode.NotFound,
        InferenceErrorCode.Unavailable => Grpc.Core.StatusCode.Unavailable,
        InferenceErrorCode.ResourceExhausted => Grpc.Core.StatusCode.ResourceExhausted,
        InferenceErrorCode.DeadlineExceeded => Grpc.Core.StatusCode.DeadlineExceeded,
        InferenceErrorCode.PermissionDenied => Grpc.Core.StatusCode.PermissionDenied,
        InferenceErrorCode.Unimplemented => Grpc.Core.StatusCode.Unimplemented,
        _ => Grpc.Core.StatusCode.Internal,
    };

    /// <summary>400 / INVALID_ARGUMENT.</summary>
    public static InferenceException Invalid(string message) => new(InferenceErrorCode.InvalidArgument, message);

    /// <summary>404 / NOT_FOUND.</summary>
    public static InferenceException NotFound(string message) => new(InferenceErrorCode.NotFound, message);

    /// <summary>413 / RESOURCE_EXHAUSTED: a size limit.</summary>
    public static InferenceException TooLarge(string message) => new(InferenceErrorCode.ResourceExhausted, message, 413);

    /// <summary>503 / UNAVAILABLE.</summary>
    public static InferenceException Unavailable(string message) => new(InferenceErrorCode.Unavailable, message);
}
