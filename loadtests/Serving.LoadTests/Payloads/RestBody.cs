namespace Serving.LoadTests.Payloads;

/// <summary>A REST infer body; <paramref name="HeaderLength"/> is the JSON length when binary tensors follow it.</summary>
internal sealed record RestBody(byte[] Body, int? HeaderLength);
