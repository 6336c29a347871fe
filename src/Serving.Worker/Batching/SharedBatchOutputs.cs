using Serving.Protocol.Tensors;

namespace Serving.Worker.Batching;

/// <summary>The batch's output tensors, shared by the per-request slices; disposed when the last response is.</summary>
internal sealed class SharedBatchOutputs(List<InferTensor> outputs, int holders)
{
    private int _holders = holders;

    /// <summary>A handle one response disposes when it is written.</summary>
    public IDisposable Hold() => new Holder(this);

    private void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            foreach (var output in outputs)
            {
                output.Dispose();
            }
        }
    }

    private sealed class Holder(SharedBatchOutputs shared) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                shared.Release();
            }
        }
    }
}
