namespace Serving.Protocol.PredictionLogs;

/// <summary>Trailers the drift monitor sets when it ends an Ingest stream.</summary>
public static class IngestTrailers
{
    /// <summary>
    /// Set (to <see cref="True"/>) on an UNAVAILABLE end when the monitor could not archive a batch: none of the batches
    /// it had not acknowledged on that stream is in the archive, so the worker keeps them to send again, and the refusal
    /// does not use up their one re-send (which guards against a stream that broke with the outcome unknown). Also set on
    /// an UNAUTHENTICATED end (no or wrong ingest token), which comes before anything is read.
    /// </summary>
    public const string NotArchived = "serving-not-archived";

    /// <summary>The value of <see cref="NotArchived"/>.</summary>
    public const string True = "true";
}
