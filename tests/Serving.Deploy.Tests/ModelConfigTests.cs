using Serving.Deploy.Tests.Checks;
using Serving.Deploy.Tests.Support;

namespace Serving.Deploy.Tests;

public sealed class ModelConfigTests
{
    public static TheoryData<string> Uses()
    {
        var data = new TheoryData<string>();
        foreach (var use in AllUses())
        {
            data.Add(use.Source);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Uses))]
    public void ModelYaml_InManifest_ParsesWithTheWorkersLoader(string source)
    {
        var use = AllUses().Single(u => u.Source == source);

        Assert.Null(ModelRepositories.Error(use));
    }

    [Theory]
    [MemberData(nameof(Uses))]
    public void ModelYaml_InManifest_ReadsFeaturesAsTheLoaderWritesThem(string source)
    {
        var use = AllUses().Single(u => u.Source == source);

        Assert.Null(ModelRepositories.FeatureStoreMismatch(use));
    }

    [Theory]
    [InlineData("layout: packed", "layout: hash", "features.layout 'hash'")]
    [InlineData("key_pattern: \"features:customer:{id}\"", "key_pattern: \"customer:{id}\"", "features.key_pattern 'customer:{id}'")]
    public void ModelYaml_FeatureStoreUnlikeTheLoaders_IsReported(string from, string to, string expected)
    {
        var use = Manifests.Compose().ModelConfigs.First(u => u.Model == "tabular");
        var wrong = use with { Yaml = Manifests.Edit(use.Yaml, from, to) };

        Assert.Contains(expected, ModelRepositories.FeatureStoreMismatch(wrong), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("max_batch_size: 64", "max_batch_size: -1", "max_batch_size")]
    [InlineData("max_queue_size: 1024", "max_queu_size: 1024", "max_queu_size")]
    [InlineData("datatype: FP32, shape: [-1, 30]", "datatype: FLOAT, shape: [-1, 30]", "datatype")]
    [InlineData("name: tabular", "name: tabular2", "folder")]
    [InlineData("fields_file: feature_names.txt", "fields_file: features.txt", "features.txt")]
    public void ModelYaml_Wrong_IsReported(string from, string to, string expected)
    {
        var use = Manifests.Kubernetes().ModelConfigs.First(u => u.Source.EndsWith("/tabular-v1.yaml", StringComparison.Ordinal));
        var wrong = use with { Yaml = Manifests.Edit(use.Yaml, from, to) };

        var error = ModelRepositories.Error(wrong);

        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelYaml_ForAModelNotInTheImage_IsReported()
    {
        var use = Manifests.Kubernetes().ModelConfigs[0] with { Model = "tabularx" };

        Assert.Contains("no model tabularx", ModelRepositories.Error(use), StringComparison.Ordinal);
    }

    internal static IEnumerable<ModelConfigUse> AllUses() => Manifests.Kubernetes().ModelConfigs.Concat(Manifests.Compose().ModelConfigs);
}
