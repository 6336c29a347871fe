namespace Serving.LoadTests.Bench;

/// <summary>The dynamic-batching settings the bench writes into every model's <c>model.yaml</c>.</summary>
/// <param name="MaxBatchSize"><c>max_batch_size</c>, also the raw ONNX Runtime "max batch".</param>
/// <param name="MaxQueueDelayMicros"><c>dynamic_batching.max_queue_delay_us</c>; 0 first on CPU, as TF Serving advises.</param>
/// <param name="Instances"><c>dynamic_batching.instances</c>: batches that may run at once.</param>
/// <param name="IntraOpThreads"><c>runtime.intra_op_threads</c> (0 = ORT's default, one per physical core); raw ORT uses the same.</param>
internal sealed record BatchingConfig(int MaxBatchSize = 64, long MaxQueueDelayMicros = 0, int Instances = 1, int IntraOpThreads = 0);
