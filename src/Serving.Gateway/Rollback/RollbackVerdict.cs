namespace Serving.Gateway.Rollback;

/// <summary>Why a version must be rolled back: what its window held and a sentence for people.</summary>
internal sealed record RollbackVerdict(OutcomeCounts Counts, string Reason);
