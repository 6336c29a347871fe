namespace Serving.Protocol.Tests.TestSupport;

/// <summary>A body owner that counts how often it was disposed.</summary>
internal sealed class DisposalCounter : IDisposable
{
    public int Count { get; private set; }

    public void Dispose() => Count++;
}
