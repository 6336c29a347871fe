using Serving.Drift.Monitoring;
using Serving.Drift.Profiles;
using Serving.Drift.Tests.TestSupport;

namespace Serving.Drift.Tests.Monitoring;

public sealed class RecordProjectionTests
{
    private static readonly ReferenceProfile Tabular = TestProfiles.TabularV1;

    [Fact]
    public void Project_FeaturesByName_ExtraFeaturesIgnored_PredictionFromIndexedOutput()
    {
        var names = Tabular.Features.Select(f => f.Name).Reverse().Append("extra").ToArray();
        var schema = Records.Schema("tabular", "1", names, ("probabilities", 2));
        var projection = RecordProjection.Create(Tabular, schema, out var error);
        var values = names.Select((_, i) => (double)i).ToArray();
        var features = new double[30];

        var prediction = projection!.Project(Ingested.Record(Records.Record(values, [0.1, 0.9])), features);

        Assert.Null(error);
        Assert.Equal(0.9, prediction);
        Assert.Equal(29.0, features[0]); // mean_radius was sent last of the 30
        Assert.Equal(0.0, features[29]);
    }

    [Fact]
    public void Project_DefaultIndexedNamesWithTheProfilesCount_MatchedByPosition()
    {
        var schema = Records.Schema("tabular", "1", Enumerable.Range(0, 30).Select(i => $"input[{i}]"), ("probabilities", 2));
        var projection = RecordProjection.Create(Tabular, schema, out _);
        var features = new double[30];

        projection!.Project(Ingested.Record(Records.Record(Enumerable.Range(0, 30).Select(i => (double)i), [0.5, 0.5])), features);

        Assert.Equal(Enumerable.Range(0, 30).Select(i => (double)i), features);
    }

    [Fact]
    public void Create_NamesDontMatchAndCountDiffers_RefusedNamingTheExpectedCount()
    {
        var schema = Records.Schema("tabular", "1", Enumerable.Range(0, 29).Select(i => $"input[{i}]"), ("probabilities", 2));

        var projection = RecordProjection.Create(Tabular, schema, out var error);

        Assert.Null(projection);
        Assert.Contains("expects 30 features", error, StringComparison.Ordinal);
        Assert.Contains("names 29", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Project_OutputWithoutTheProfilesName_PredictionIsMissing()
    {
        var schema = Records.Schema("tabular", "1", Tabular.Features.Select(f => f.Name), ("scores", 2));
        var projection = RecordProjection.Create(Tabular, schema, out _);

        Assert.False(projection!.HasPrediction);
        Assert.True(double.IsNaN(projection.Project(Ingested.Record(Records.Record(new double[30], [0.1, 0.9])), new double[30])));
    }

    [Fact]
    public void Project_CategoricalPrediction_IsTheArgMaxClassOfTheFirstOutput()
    {
        var digits = TestProfiles.DigitsV1;
        var classes = (CategoricalFeatureProfile)digits.Prediction;
        var schema = Records.Schema("digits", "1", digits.Features.Select(f => f.Name), ("probabilities", 10));
        var projection = RecordProjection.Create(digits, schema, out _);
        var outputs = new double[10];
        outputs[7] = 0.8;
        outputs[2] = 0.2;

        var prediction = projection!.Project(Ingested.Record(Records.Record(new double[64], outputs)), new double[64]);

        Assert.Equal(classes.CodeOf("7"), prediction);
    }
}
