namespace Serving.LoadTests;

/// <summary>A mistake in the command line or the target that the user can fix; printed without a stack trace.</summary>
internal sealed class LoadTestException(string message, Exception? inner = null) : Exception(message, inner);
