using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Tensors;

public sealed class TensorNameSetTests
{
    public static TheoryData<int, int> Repeats => new()
    {
        { 3, 1 },                                   // few inputs: the scan
        { TensorNameSet.ScanLimit - 1, 0 },         // the last input the scan checks
        { TensorNameSet.ScanLimit, 0 },             // the first one the set checks, against names the scan saw
        { TensorNameSet.ScanLimit + 5, 2 },
        { 5000, 4999 },                             // a repeat of a name the set itself added
    };

    [Theory]
    [MemberData(nameof(Repeats))]
    public void IsNew_FalseExactlyForTheRepeat(int repeatAt, int repeatOf)
    {
        var inputs = new List<InferTensor>();
        var names = default(TensorNameSet);
        try
        {
            for (var i = 0; i < repeatAt; i++)
            {
                Assert.True(names.IsNew(inputs, $"x{i}"), $"x{i} is new");
                inputs.Add(TensorSamples.Boundary(DataType.FP32, $"x{i}"));
            }

            Assert.False(names.IsNew(inputs, $"x{repeatOf}"));
            Assert.True(names.IsNew(inputs, "X0"), "names differ by case");
        }
        finally
        {
            inputs.ForEach(i => i.Dispose());
        }
    }
}
