namespace Serving.Worker.PredictionLogs;

/// <summary>Takes finished predictions for the drift monitor; never blocks and never throws into the predict call.</summary>
internal interface IPredictionLogSink
{
    /// <summary>False when logging is off, so the predict path skips the work.</summary>
    bool Enabled { get; }

    /// <summary>Samples, copies and queues the prediction (dropping and counting when the queue is full).</summary>
    void Record(in PredictionContext prediction);
}
