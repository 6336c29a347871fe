namespace Serving.Drift.Archive;

/// <summary>The archive could not be written, so the batch can't be acknowledged.</summary>
internal sealed class ArchiveUnavailableException(Exception inner)
    : Exception("The prediction archive could not be written.", inner);
