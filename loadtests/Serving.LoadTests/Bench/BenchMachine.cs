using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Serving.Worker.Hosting;

namespace Serving.LoadTests.Bench;

/// <summary>The machine and build a bench ran on: enough to tell whether two reports can be compared.</summary>
/// <param name="Cores">Logical processors.</param>
/// <param name="Cpu">The CPU model.</param>
/// <param name="Runtime">.NET runtime.</param>
/// <param name="OnnxRuntime">ONNX Runtime version.</param>
/// <param name="WorkerOptimized">False when Serving.Worker was built Debug (unoptimized): the figures then undersell it.</param>
/// <param name="GeneratorOptimized">False when this tool was built unoptimized.</param>
/// <param name="Gc">The GC this process ran on (<see cref="BenchGc.DescribeCurrent"/>); null in reports saved before it was recorded.</param>
internal sealed record BenchMachine(int Cores, string Cpu, string Runtime, string OnnxRuntime, bool WorkerOptimized, bool GeneratorOptimized, string? Gc = null)
{
    /// <summary>The GC for a report's header line (" · server GC, up to 2 heaps, gen0 floor 32 MiB (…)"), or nothing when not recorded.</summary>
    public string GcText => Gc is null ? string.Empty : $" · {Gc}";

    /// <summary>This machine and build.</summary>
    public static BenchMachine Current() => new(
        Environment.ProcessorCount,
        CpuModel(),
        RuntimeInformation.FrameworkDescription,
        OrtEnv.Instance().GetVersionString(),
        IsOptimized(typeof(WorkerHost).Assembly),
        IsOptimized(typeof(BenchMachine).Assembly),
        BenchGc.DescribeCurrent());

    private static bool IsOptimized(Assembly assembly) =>
        assembly.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
