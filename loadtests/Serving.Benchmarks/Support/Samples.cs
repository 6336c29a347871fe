using System.Runtime.InteropServices;
using Serving.Protocol.Tensors;

namespace Serving.Benchmarks.Support;

/// <summary>Seeded sample tensors shaped like the tabular model's traffic ([rows, 30] FP32 in, [rows, 2] FP32 out).</summary>
public static class Samples
{
    /// <summary>Features per row of the tabular model.</summary>
    public const int Features = 30;

    /// <summary>A [rows, columns] FP32 tensor of seeded random values.</summary>
    public static InferTensor Fp32(string name, int rows, int columns)
    {
        var values = new float[rows * columns];
        var random = new Random(42);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.NextSingle();
        }

        return InferTensor.Fixed(name, DataType.FP32, [rows, columns], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    /// <summary>The repository root (the folder with Serving.sln), found from the working directory or this assembly.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Serving.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("run the benchmarks from inside the repository: Serving.sln was not found above the working directory");
    }
}
