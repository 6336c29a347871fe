using System.CommandLine;

namespace Serving.Commands;

/// <summary>The <c>serving</c> command tree.</summary>
internal static class ServingCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Serving: ONNX models over the Open Inference Protocol (gRPC + REST).");
        root.Add(UpCommand.Create());
        root.Add(WorkerCommand.Create());
        root.Add(GatewayCommand.Create());
        root.Add(TrafficCommand.Create());
        root.Add(DriftCommand.Create());
        root.Add(InferCommand.Create());
        root.Add(FeaturesCommand.Create());
        return root;
    }
}
