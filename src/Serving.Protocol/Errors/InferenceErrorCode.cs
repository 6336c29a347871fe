namespace Serving.Protocol.Errors;

/// <summary>Why a call failed; maps to one HTTP status and one gRPC status.</summary>
public enum InferenceErrorCode
{
    /// <summary>The request is malformed or does not fit the model (400 / INVALID_ARGUMENT).</summary>
    InvalidArgument,
    /// <summary>Unknown model or version (404 / NOT_FOUND).</summary>
    NotFound,
    /// <summary>Not ready, unloading or shutting down (503 / UNAVAILABLE).</summary>
    Unavailable,
    /// <summary>A size, count or queue limit was hit (413 or 429 / RESOURCE_EXHAUSTED).</summary>
    ResourceExhausted,
    /// <summary>The deadline passed before the work ran (504 / DEADLINE_EXCEEDED).</summary>
    DeadlineExceeded,
    /// <summary>Not permitted (403 / PERMISSION_DENIED).</summary>
    PermissionDenied,
    /// <summary>A fault on our side (500 / INTERNAL); the message never carries internals.</summary>
    Internal,
    /// <summary>Something this server does not do, such as a message compression it lacks (501 / UNIMPLEMENTED).</summary>
    Unimplemented,
}
