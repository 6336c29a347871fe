using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Protocol.Tensors;
using Serving.Worker.Configuration;
using Serving.Worker.Features;
using Serving.Worker.Models;
using Serving.Worker.Runtime;

namespace Serving.Worker.Tests.Features;

public sealed class FeatureStoresTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// The warning about a CSV's refused rows names the file model.yaml's features.csv names: before, it always said
    /// 'features.csv has 2 row(s) that don't parse', whatever the file (entities.csv here), and "don't parse" for an id
    /// given twice or a line that is not UTF-8 too (seen reading how the CSV sweep's refused rows are reported; the refusal of a
    /// whole file was already named by its own name).
    /// </summary>
    [Fact]
    public void CreateLookup_InMemoryCsvWithRefusedRows_TheWarningNamesTheFile()
    {
        _temp.Write("entities.csv", "id,a,b\n1,1.5,2.5\n2,abc,3\n1,4,5\n");
        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var stores = new FeatureStores(Options.Create(new FeatureStoreOptions()), new ServiceCollection().BuildServiceProvider(), factory);
        var config = new FeaturesConfig { EntityInput = "id", TargetInput = "x", KeyPattern = "k:{id}", Fields = ["a", "b"], Csv = "entities.csv" };
        var signature = new ModelSignature([new TensorSignature("x", DataType.FP32, [-1, 2])], [new TensorSignature("y", DataType.FP32, [-1, 1])], maxBatchSize: 8);

        stores.CreateLookup("m", 1, _temp.Path, config, signature);

        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning).Message;
        Assert.StartsWith("Model m version 1: entities.csv has 2 row(s) refused, left out (their entities read as missing): line 3: 'abc' in column 'a' is not a number; line 4: id '1' is also on line 2", warning, StringComparison.Ordinal);
    }
}
