using Serving.Drift.Statistics;

namespace Serving.Drift.Tests.Statistics;

public sealed class JensenShannonTests
{
    [Fact]
    public void Distance_Identical_IsZero()
    {
        Assert.Equal(0.0, JensenShannon.Distance([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]));
    }

    [Fact]
    public void Distance_Disjoint_IsOne()
    {
        Assert.Equal(1.0, JensenShannon.Distance([0.5, 0.5, 0, 0], [0, 0, 0.3, 0.7]), 1e-15);
    }

    [Fact]
    public void Distance_HalfHalfVersusCertain_MatchesHandComputation()
    {
        // P = (½, ½), Q = (1, 0), M = (¾, ¼).
        // KL(P‖M) = ½·log₂(⅔) + ½·log₂(2) = −0.2924812503605781 + 0.5 = 0.2075187496394219
        // KL(Q‖M) = log₂(4/3) = 0.4150374992788438
        // JSD = ½(0.2075187496394219 + 0.4150374992788438) = 0.3112781244591328; distance = √JSD = 0.5579230452841438
        // (scipy.spatial.distance.jensenshannon([.5, .5], [1, 0], base=2) = 0.5579230452841438)
        Assert.Equal(Math.Sqrt(0.3112781244591328), JensenShannon.Distance([0.5, 0.5], [1, 0]), 1e-15);
        Assert.Equal(0.5579230452841438, JensenShannon.Distance([0.5, 0.5], [1, 0]), 1e-15);
    }

    [Fact]
    public void Distance_CountsAgainstShares_NormalizesEachSide()
    {
        // scipy.spatial.distance.jensenshannon([3, 1, 0], [1, 1, 2], base=2) = 0.5868227481705474
        Assert.Equal(0.5868227481705474, JensenShannon.Distance([3, 1, 0], [0.25, 0.25, 0.5]), 1e-15);
        Assert.Equal(0.5868227481705474, JensenShannon.Distance([3, 1, 0], [1, 1, 2]), 1e-15);
    }

    [Fact]
    public void Distance_DictionariesWithDifferentKeys_UsesUnionWithMissingAsZero()
    {
        var p = new Dictionary<string, double> { ["a"] = 0.5, ["b"] = 0.5 };
        var q = new Dictionary<string, double> { ["a"] = 10 };

        Assert.Equal(0.5579230452841438, JensenShannon.Distance(p, q), 1e-15);
        Assert.Equal(0.5579230452841438, JensenShannon.Distance(q, p), 1e-15);
    }

    [Fact]
    public void Distance_DictionariesDisjoint_IsOne()
    {
        var p = new Dictionary<string, double> { ["a"] = 1 };
        var q = new Dictionary<string, double> { ["b"] = 2, ["c"] = 3 };

        Assert.Equal(1.0, JensenShannon.Distance(p, q), 1e-15);
    }

    [Fact]
    public void Distance_EmptySide_IsNaN()
    {
        Assert.True(double.IsNaN(JensenShannon.Distance([0, 0], [1, 1])));
    }

    [Fact]
    public void Distance_NegativeWeight_Throws()
    {
        Assert.Throws<ArgumentException>(() => JensenShannon.Distance([1, -1], [1, 1]));
    }
}
