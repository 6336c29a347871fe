using Serving.Drift.Ingest;
using Serving.Drift.Tests.TestSupport;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Tests.Ingest;

public sealed class BatchValidatorTests
{
    [Fact]
    public void Validate_WellFormedBatch_Passes()
    {
        BatchValidator.Validate(Ingested.Batch(Batch()), maxRecords: 10);
    }

    [Fact]
    public void Validate_RecordNamesAMissingSchema_Malformed()
    {
        var batch = Batch();
        batch.Records[1].Schema = 1;

        var error = Assert.Throws<MalformedBatchException>(() => BatchValidator.Validate(Ingested.Batch(batch), 10));

        Assert.Equal("batch 9: record 1 names schema 1, but the batch has 1 schema(s)", error.Message);
    }

    [Theory]
    [InlineData("../etc", "1")]
    [InlineData("m", "01")]
    [InlineData("m", "")]
    [InlineData("", "1")]
    public void Validate_ModelOrVersionNotAName_Malformed(string model, string version)
    {
        var batch = Batch();
        batch.Schemas[0].Model = model;
        batch.Schemas[0].Version = version;

        Assert.Contains("a model is", Assert.Throws<MalformedBatchException>(() => BatchValidator.Validate(Ingested.Batch(batch), 10)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OutputNamesAndSizesDisagree_Malformed()
    {
        var batch = Batch();
        batch.Schemas[0].OutputSizes.Add(3);

        Assert.Contains("1 output name(s) but 2 output size(s)", Assert.Throws<MalformedBatchException>(() => BatchValidator.Validate(Ingested.Batch(batch), 10)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OneSinglePrecisionFlagPerFeatureAndOutput_Passes()
    {
        var batch = Batch();
        batch.Schemas[0].FeatureSinglePrecision.Add([true, false]);
        batch.Schemas[0].OutputSinglePrecision.Add(true);

        BatchValidator.Validate(Ingested.Batch(batch), 10);
    }

    [Fact]
    public void Validate_SinglePrecisionFlagsAndFeaturesDisagree_Malformed()
    {
        var batch = Batch();
        batch.Schemas[0].FeatureSinglePrecision.Add(true);

        Assert.Contains("2 feature name(s) but 1 single-precision flag(s)", Assert.Throws<MalformedBatchException>(() => BatchValidator.Validate(Ingested.Batch(batch), 10)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SinglePrecisionFlagsAndOutputsDisagree_Malformed()
    {
        var batch = Batch();
        batch.Schemas[0].OutputSinglePrecision.Add([true, true]);

        Assert.Contains("1 output name(s) but 2 single-precision flag(s)", Assert.Throws<MalformedBatchException>(() => BatchValidator.Validate(Ingested.Batch(batch), 10)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RepeatedFeatureName_Malformed()
    {
        var batch = Batch();
        batch.Schemas[0].FeatureNames.Add("a");

        Assert.Throws<MalformedBatchException>(() => BatchValidator.Validate(Ingested.Batch(batch), 10));
    }

    [Fact]
    public void Validate_RepeatedOutputName_Malformed()
    {
        var batch = Batch();
        batch.Schemas[0].OutputNames.Add("p");
        batch.Schemas[0].OutputSizes.Add(1);
        foreach (var record in batch.Records)
        {
            record.Outputs.Add(0.7);
        }

        Assert.Contains("schema 0 repeats an output name", Assert.Throws<MalformedBatchException>(() => BatchValidator.Validate(Ingested.Batch(batch), 10)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TooManyRecords_Malformed()
    {
        Assert.Contains("at most 1 are accepted", Assert.Throws<MalformedBatchException>(() => BatchValidator.Validate(Ingested.Batch(Batch()), 1)).Message, StringComparison.Ordinal);
    }

    private static PredictionLogBatch Batch() => new()
    {
        Sequence = 9,
        Schemas = { Records.Schema("m", "1", ["a", "b"], ("p", 2)) },
        Records = { Records.Record([1, 2], [0.5, 0.5]), Records.Record([3, 4], [0.5, 0.5]) },
    };
}
