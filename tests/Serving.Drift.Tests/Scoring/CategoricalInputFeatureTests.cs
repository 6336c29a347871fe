using System.Text;
using Serving.Drift.Monitoring;
using Serving.Drift.Profiles;
using Serving.Drift.Scoring;
using Serving.Drift.Tests.TestSupport;
using Serving.Drift.Windows;

namespace Serving.Drift.Tests.Scoring;

/// <summary>
/// A categorical input feature (a BYTES input, sent as a label in <c>categorical_features</c>) from
/// record to verdict: projected to category codes, windowed and scored by Jensen–Shannon distance.
/// </summary>
public sealed class CategoricalInputFeatureTests
{
    private const int WindowRows = 1000;

    // One numeric feature whose window repeats its reference sample exactly (PSI 0, KS D 0), one
    // categorical input feature, and a numeric prediction that also repeats its sample.
    private static readonly ReferenceProfile Profile = ReferenceProfileLoader.Parse(Encoding.UTF8.GetBytes("""
        {"model": "shop", "version": "1", "rows": 1000,
         "features": [
           {"name": "amount", "kind": "numeric", "bin_edges": [0, 1, 2], "proportions": [0.5, 0.5],
            "mean": 1, "std": 0.6, "sample": [0.2, 0.5, 1.5, 1.8]},
           {"name": "city", "kind": "categorical", "categories": {"oslo": 0.5, "bergen": 0.3, "tromso": 0.2}}],
         "prediction": {"name": "score", "kind": "numeric", "bin_edges": [0, 1, 2], "proportions": [0.5, 0.5],
                        "mean": 1, "std": 0.6, "sample": [0.2, 0.5, 1.5, 1.8]}}
        """), "shop/1/reference.json");

    private static readonly double[] Sample = [0.2, 0.5, 1.5, 1.8];

    [Fact]
    public void Score_CityMixAsInTheReference_NothingDrifts()
    {
        DriftReport report = Score(oslo: 500, bergen: 300, tromso: 200);

        FeatureDriftResult city = report.Features[1];
        Assert.Equal(FeatureKind.Categorical, city.Kind);
        Assert.Equal(WindowRows, city.WindowSize);
        Assert.Equal(0, city.JsDistance!.Value, 1e-12);
        Assert.Equal(DriftSignals.None, city.Signals);
        Assert.False(city.IsDrifting);
        Assert.DoesNotContain(report.Features, f => f.IsDrifting);
        Assert.False(report.IsDrifting);
    }

    [Fact]
    public void Score_CityMixShifted_CityDriftsByJensenShannonDistance()
    {
        DriftReport report = Score(oslo: 200, bergen: 300, tromso: 500);

        // P = (0.5, 0.3, 0.2), Q = (0.2, 0.3, 0.5), M = (0.35, 0.3, 0.35):
        // JSD = 0.5·log2(0.5/0.35) + 0.2·log2(0.2/0.35) (both halves are equal), distance = √JSD ≈ 0.3095.
        double divergence = (0.5 * Math.Log2(0.5 / 0.35)) + (0.2 * Math.Log2(0.2 / 0.35));
        FeatureDriftResult city = report.Features[1];
        Assert.Equal(Math.Sqrt(divergence), city.JsDistance!.Value, 1e-12);
        Assert.Equal(DriftSignals.JensenShannon, city.Signals);
        Assert.True(city.IsDrifting);
        Assert.False(report.Features[0].IsDrifting);
        Assert.Equal(["city"], report.Features.Where(f => f.IsDrifting).Select(f => f.Name));

        // One of two features drifting reaches the default share of 0.5.
        Assert.Equal(0.5, report.DriftingFeatureShare);
        Assert.True(report.IsDrifting);
    }

    private static DriftReport Score(int oslo, int bergen, int tromso)
    {
        var schema = Records.Schema("shop", "1", ["amount"], ("score", 1));
        var projection = RecordProjection.Create(Profile, schema, out var error);
        Assert.Null(error);
        string[] cities = [.. Enumerable.Repeat("oslo", oslo), .. Enumerable.Repeat("bergen", bergen), .. Enumerable.Repeat("tromso", tromso)];
        Assert.Equal(WindowRows, cities.Length);

        var window = new DriftWindow(Profile.Features.Count, new DriftWindowOptions { Capacity = WindowRows });
        var features = new double[Profile.Features.Count];
        for (var i = 0; i < cities.Length; i++)
        {
            var value = Sample[i % Sample.Length];
            var record = Records.Record([value], [value], $"r{i}");
            record.CategoricalFeatures["city"] = cities[i];
            window.Add(features, projection!.Project(Ingested.Record(record), features));
        }

        return new DriftScorer().Score(Profile, window.Snapshot());
    }
}
