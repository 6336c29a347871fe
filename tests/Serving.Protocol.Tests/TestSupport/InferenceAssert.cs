using Serving.Protocol.Errors;

namespace Serving.Protocol.Tests.TestSupport;

/// <summary>Asserts that a call fails with a given <see cref="InferenceErrorCode"/>.</summary>
internal static class InferenceAssert
{
    public static InferenceException Throws(InferenceErrorCode code, Action call)
    {
        var e = Assert.Throws<InferenceException>(call);
        Assert.Equal(code, e.Code);
        return e;
    }

    /// <summary>Asserts 400 / INVALID_ARGUMENT; disposes anything the call returned by mistake.</summary>
    public static InferenceException Invalid(Func<IDisposable> call) =>
        Throws(InferenceErrorCode.InvalidArgument, () => call().Dispose());

    /// <summary>Asserts RESOURCE_EXHAUSTED answered as 413 (a size limit, not a queue).</summary>
    public static InferenceException TooLarge(Func<IDisposable> call)
    {
        var e = Throws(InferenceErrorCode.ResourceExhausted, () => call().Dispose());
        Assert.Equal(413, e.HttpStatus);
        Assert.Equal(Grpc.Core.StatusCode.ResourceExhausted, e.GrpcStatus);
        return e;
    }
}
