using Serving.Drift.Profiles;
using Serving.Drift.Windows;

namespace Serving.Drift.Tests.TestSupport;

/// <summary>
/// Window contents drawn from a reference profile with a seeded Random: numeric columns resample
/// the reference sample, categorical columns draw codes by the reference shares.
/// </summary>
internal sealed class SampledRows
{
    private SampledRows(double[][] features, double[] prediction)
    {
        Features = features;
        Prediction = prediction;
    }

    public double[][] Features { get; }

    public double[] Prediction { get; }

    public int Count => Prediction.Length;

    public static SampledRows FromReference(ReferenceProfile profile, int rows, int seed)
    {
        var random = new Random(seed);
        double[][] features = profile.Features.Select(f => Draw(f, rows, random)).ToArray();
        return new SampledRows(features, Draw(profile.Prediction, rows, random));
    }

    public int IndexOf(ReferenceProfile profile, string name) =>
        profile.Features.Select((f, i) => (f, i)).Single(x => x.f.Name == name).i;

    public DriftWindowSnapshot ToSnapshot()
    {
        var window = new DriftWindow(Features.Length, new DriftWindowOptions { Capacity = Count, MaxAge = Timeout.InfiniteTimeSpan });
        var record = new double[Features.Length];
        for (int row = 0; row < Count; row++)
        {
            for (int c = 0; c < Features.Length; c++)
            {
                record[c] = Features[c][row];
            }

            window.Add(record, Prediction[row]);
        }

        return window.Snapshot();
    }

    private static double[] Draw(FeatureProfile profile, int rows, Random random) => profile switch
    {
        NumericFeatureProfile numeric => DrawNumeric(numeric.SortedSample.ToArray(), rows, random),
        CategoricalFeatureProfile categorical => DrawCodes(categorical.Shares.ToArray(), rows, random),
        _ => throw new InvalidOperationException(),
    };

    private static double[] DrawNumeric(double[] sample, int rows, Random random) =>
        Enumerable.Range(0, rows).Select(_ => sample[random.Next(sample.Length)]).ToArray();

    private static double[] DrawCodes(double[] shares, int rows, Random random)
    {
        var codes = new double[rows];
        for (int row = 0; row < rows; row++)
        {
            double u = random.NextDouble();
            int code = 0;
            while (code < shares.Length - 1 && u >= shares[code])
            {
                u -= shares[code];
                code++;
            }

            codes[row] = code;
        }

        return codes;
    }
}
