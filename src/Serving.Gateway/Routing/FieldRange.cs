namespace Serving.Gateway.Routing;

/// <summary>Where a string field's bytes are, from the start of the body.</summary>
internal readonly record struct FieldRange(long Offset, int Length);
