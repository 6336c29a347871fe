namespace Serving.Drift.Ingest;

/// <summary>A batch that breaks the contract (not just a bad record): it ends its stream with INVALID_ARGUMENT.</summary>
internal sealed class MalformedBatchException(string message) : Exception(message);
