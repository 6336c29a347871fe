namespace Serving.Protocol.Messages;

/// <summary>An output the caller asked for, and whether it wants it as binary (Triton's REST extension).</summary>
public readonly record struct RequestedOutput(string Name, bool? Binary);
