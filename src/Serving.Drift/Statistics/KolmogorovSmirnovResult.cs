namespace Serving.Drift.Statistics;

/// <summary>Two-sample KS statistic D, its two-sided p-value, and whether the p-value is exact.</summary>
internal readonly record struct KolmogorovSmirnovResult(double Statistic, double PValue, bool IsExact)
{
    public static KolmogorovSmirnovResult Undefined => new(double.NaN, double.NaN, false);
}
