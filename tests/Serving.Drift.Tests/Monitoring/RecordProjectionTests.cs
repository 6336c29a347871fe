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
        var outputs = new double[10];
        outputs[7] = 0.8;
        outputs[2] = 0.2;

        Assert.Equal(DigitClasses.CodeOf("7"), ProjectDigits(outputs));
    }

    /// <summary>
    /// A model given NaN inputs answers NaN probabilities; before, the arg-max started at class 0 and x &gt; NaN is
    /// always false, so every such row counted as class "0" (600 of them made the prediction drift, JS 0.87).
    /// </summary>
    [Theory]
    [InlineData(0, 10)]
    [InlineData(0, 1)]
    [InlineData(4, 1)]
    public void Project_CategoricalPredictionFromOutputsWithNaN_IsMissing(int first, int count)
    {
        var outputs = new double[10];
        outputs[7] = 0.8;
        Array.Fill(outputs, double.NaN, first, count);

        var prediction = ProjectDigits(outputs);

        Assert.True(double.IsNaN(prediction), $"class code {prediction}");
    }

    [Fact]
    public void Project_CategoricalPredictionTiedOrInfinite_LowestIndexOfTheLargest()
    {
        Assert.Equal(DigitClasses.CodeOf("2"), ProjectDigits([0, 0, 0.5, 0, 0, 0.5, 0, 0, 0, 0]));
        Assert.Equal(DigitClasses.CodeOf("9"), ProjectDigits([double.NegativeInfinity, 1, 0, 0, 0, 0, 0, 0, 0, double.PositiveInfinity]));
    }

    private static CategoricalFeatureProfile DigitClasses => (CategoricalFeatureProfile)TestProfiles.DigitsV1.Prediction;

    // The prediction of a digits record (64 zero pixels) with these 10 probabilities.
    private static double ProjectDigits(double[] outputs)
    {
        var digits = TestProfiles.DigitsV1;
        var schema = Records.Schema("digits", "1", digits.Features.Select(f => f.Name), ("probabilities", 10));
        var projection = RecordProjection.Create(digits, schema, out _);
        return projection!.Project(Ingested.Record(Records.Record(new double[64], outputs)), new double[64]);
    }
}
