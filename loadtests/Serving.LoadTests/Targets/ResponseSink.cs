namespace Serving.LoadTests.Targets;

/// <summary>The "response" of a pre-serialized gRPC call: the body is received but not parsed, so no message is built per call.</summary>
internal sealed class ResponseSink
{
    /// <summary>The single instance every call returns.</summary>
    public static readonly ResponseSink Instance = new();

    private ResponseSink()
    {
    }
}
