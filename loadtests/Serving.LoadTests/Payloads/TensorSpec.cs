namespace Serving.LoadTests.Payloads;

/// <summary>A tensor as model metadata describes it; -1 marks a variable dimension.</summary>
internal sealed record TensorSpec(string Name, string DataType, long[] Shape);
