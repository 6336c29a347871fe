using System.Runtime.InteropServices;
using Serving.LoadTests.Bench;
using Serving.LoadTests.FeatureBench;
using Serving.Protocol.Tensors;

namespace Serving.LoadTests.Tests.FeatureBench;

/// <summary>What the bench reads and sends: the model's feature declaration, the CSV, both forms of request.</summary>
public sealed class FeatureInputsTests
{
    private static readonly FeatureSpec Spec = new("customer_id", "input", "features:customer:{id}", ["b", "a"], "features.csv", 1000);

    private static string TabularDirectory => Path.Combine(BenchModel.FindRepositoryRoot(AppContext.BaseDirectory), "models", "tabular");

    [Fact]
    public void FeatureSpec_TabularModel_ReadsTheDeclaredLookup()
    {
        var spec = FeatureSpec.Load(TabularDirectory);

        Assert.Equal("customer_id", spec.EntityInput);
        Assert.Equal("input", spec.TargetInput);
        Assert.Equal("features:customer:42", spec.Key("42"));
        Assert.Equal(30, spec.Fields.Count);
        Assert.Equal("mean_radius", spec.Fields[0]);
        Assert.Equal(Path.Combine(TabularDirectory, "features.csv"), spec.CsvPath);
        Assert.Equal(1000, spec.NearCacheTtlMs);
        Assert.Equal("packed", spec.Layout);
    }

    [Fact]
    public void FeatureSpec_ModelWithoutLookup_SaysWhatIsMissing()
    {
        var dir = Directory.CreateTempSubdirectory("feature-spec-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "model.yaml"), "name: plain\nmax_batch_size: 8\n");

            var e = Assert.Throws<LoadTestException>(() => FeatureSpec.Load(dir));
            Assert.Contains("declares no feature lookup", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void FeatureTable_ColumnsInAnotherOrder_ValuesFollowTheModelsFieldOrder()
    {
        var table = FeatureTable.Parse(new StringReader("id,a,b,extra\n7,1.5,2.5,9\n\n8,3,4,9\n"), Spec, "t.csv");

        Assert.Equal(new[] { "b", "a" }, table.Fields);
        Assert.Equal(2, table.Entities.Count);
        Assert.Equal("7", table.Entities[0].Id);
        Assert.Equal(new[] { 2.5, 1.5 }, table.Entities[0].Values);
        Assert.Equal(new[] { 4.0, 3.0 }, table.Entities[1].Values);
    }

    [Theory]
    [InlineData("id,a\n1,2\n", "lacks the model's fields")]
    [InlineData("id,a,b\n1,2\n", "line 2")]
    [InlineData("id,a,b\n1,2,3\n2,x,3\n", "line 3: 'x' is not a number")]
    [InlineData("id,a,b\n", "holds no entities")]
    public void FeatureTable_BadFile_NamesTheProblem(string csv, string expected)
    {
        var e = Assert.Throws<LoadTestException>(() => FeatureTable.Parse(new StringReader(csv), Spec, "t.csv"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FeatureTable_TabularCsv_EveryEntityWhole()
    {
        var spec = FeatureSpec.Load(TabularDirectory);

        var table = FeatureTable.Load(spec.CsvPath, spec);

        Assert.Equal(569, table.Entities.Count);
        Assert.All(table.Entities, e => Assert.Equal(30, e.Values.Length));
    }

    [Fact]
    public void FeaturePayloads_SameEntityAtSameIndex_IdAndItsValues()
    {
        var table = FeatureTable.Parse(new StringReader("id,a,b\n7,1.5,2.5\ncust-x,3,4\n"), Spec, "t.csv");

        var byId = FeaturePayloads.Entity("tabular", Spec, table);
        var inline = FeaturePayloads.Inline("tabular", Spec, table, DataType.FP32);

        Assert.Equal(DataType.Int64, byId[0].Inputs[0].DataType);
        Assert.Equal(new[] { 7L }, byId[0].Inputs[0].As<long>().ToArray());
        Assert.Equal("customer_id", byId[0].Inputs[0].Name);
        Assert.Equal(DataType.Bytes, byId[1].Inputs[0].DataType); // not an integer: sent as BYTES
        Assert.Equal("input", inline[0].Inputs[0].Name);
        Assert.Equal(new[] { 1L, 2L }, inline[0].Inputs[0].Shape);
        Assert.Equal(new[] { 2.5f, 1.5f }, MemoryMarshal.Cast<byte, float>(inline[0].Inputs[0].Data.Span).ToArray());
    }

    [Fact]
    public void FeaturePayloads_TargetNotFloat_Refused()
    {
        var table = FeatureTable.Parse(new StringReader("id,a,b\n7,1.5,2.5\n"), Spec, "t.csv");

        Assert.Throws<LoadTestException>(() => FeaturePayloads.Inline("tabular", Spec, table, DataType.Int32));
    }
}
