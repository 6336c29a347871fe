namespace Serving.Worker.PredictionLogs;

/// <summary>The sink when no drift monitor is configured.</summary>
internal sealed class NoPredictionLogs : IPredictionLogSink
{
    public bool Enabled => false;

    public void Record(in PredictionContext prediction)
    {
    }
}
