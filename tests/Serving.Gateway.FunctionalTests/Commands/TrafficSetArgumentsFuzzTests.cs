using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Commands;

/// <summary>
/// Mutation fuzz of <c>serving traffic set</c>'s arguments against a real gateway: weights, --shadow, --revision, headers,
/// rollback options and model names, good and bad, in random mixes. Each run exits 0 with the policy applied, or non-zero
/// with a reason and no stack trace, the policy in force unchanged.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TrafficSetArgumentsFuzzTests(GatewayFixture fixture)
{
    // Command lines per run: 80 in CI; set TRAFFIC_CLI_FUZZ_ITERATIONS for a longer search (2,000 took 5 s).
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("TRAFFIC_CLI_FUZZ_ITERATIONS"), out var n) ? n : 80;

    private static readonly string[][] Valid =
    [
        ["tabular", "1=100", "2=0"], ["tabular", "1=90", "2=10", "--sticky-header", "x-user-id"], ["tabular", "1=100", "2=0", "--shadow", "2:5"],
        ["tabular", "1=90", "2=10", "--rollback-baseline", "1", "--max-error-rate", "0.05"], ["tabular", "1=50", "2=50", "--pin-header", "x-model-version"],
    ];

    private static readonly string[] Models = ["tabular", "tabular", "tabular", "", "..", "a/b", "模型", "TABULAR", "nope", "-x", new string('m', 129), "tabular\n"];

    private static readonly string[] Weights =
    [
        "1=100", "1=90", "2=10", "2=0", "1=50", "2=50", "1=abc", "1=-5", "1=1.5", "=50", "1=", "1", "1=2147483648", "1=+100", "1= 100",
        "x=100", "1=100=1", "../..=100", "01=100", "3=0", "٣=100", "1=１００", "1=0x64", "-1=100", "1=100\n", "--1=100",
    ];

    private static readonly string[][] Options =
    [
        ["--shadow", "2:5"], ["--shadow", "2"], ["--shadow", "2:"], ["--shadow", ":5"], ["--shadow", "2:x"], ["--shadow", "2:-1"], ["--shadow", "2:1:1"],
        ["--shadow", "2:999999999999"], ["--shadow", "9:5"], ["--revision", "abc"], ["--revision", "-1"], ["--revision", "1.5"],
        ["--revision", "99999999999999999999"], ["--revision", "0"], ["--sticky-header", "x-user-id"], ["--sticky-header", ""],
        ["--sticky-header", "bad header"], ["--sticky-header", "x\ny"], ["--pin-header", "x-model-version"], ["--pin-header", "x-serving-x"],
        ["--rollback-baseline", "1", "--max-error-rate", "0.05"], ["--rollback-baseline", "1"], ["--max-error-rate", "0.05"],
        ["--rollback-baseline", "1", "--max-error-rate", "abc"], ["--rollback-baseline", "1", "--max-error-rate", "NaN"],
        ["--rollback-baseline", "1", "--max-error-rate", "1e400"], ["--rollback-baseline", "1", "--max-error-rate", "-1"],
        ["--rollback-baseline", "1", "--max-error-rate", "0.05", "--min-requests", "x"], ["--rollback-baseline", "1", "--max-error-rate", "0.05", "--window", "-1"],
        ["--rollback-baseline", "1", "--max-error-rate", "0.05", "--max-p99-ms", "99999999999"], ["--rollback-baseline", "7", "--max-error-rate", "0.5"],
        ["--weights", "1=100"], ["--shadow"], ["--timeout", "x"], ["--timeout", "-1"], ["--", "2=0"],
    ];

    [Fact]
    public async Task Set_MutatedArguments_AppliedOrRefusedWithAReason_NoStackTrace_PolicyInForceKept()
    {
        var random = new Random(79);
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(100, 0));
        var inForce = await Policies.InForceAsync(fixture.Gateway);
        var (applied, refused) = (0, 0);
        for (var i = 0; i < Iterations; i++)
        {
            // A command line that applies, with up to three of its parts changed: the model, a weight, an option added.
            var args = new List<string>(Valid[random.Next(Valid.Length)]);
            for (var m = random.Next(4); m > 0; m--)
            {
                switch (random.Next(3))
                {
                    case 0:
                        args[0] = Models[random.Next(Models.Length)];
                        break;
                    case 1:
                        args[1 + random.Next(2)] = Weights[random.Next(Weights.Length)];
                        break;
                    default:
                        args.AddRange(Options[random.Next(Options.Length)]);
                        break;
                }
            }

            args.InsertRange(0, ["traffic", "set"]);
            args.AddRange(["--admin", fixture.Gateway.Admin!.BaseAddress!.ToString(), "--token", GatewayServer.AdminToken]);
            var what = $"iteration {i}: serving {string.Join(' ', args.Select(a => $"'{a}'"))}";

            var run = ServingCli.RunAsync([.. args]);
            Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, $"{what}: no exit within 60 s");
            var (code, _, error) = await run;

            var now = await Policies.InForceAsync(fixture.Gateway);
            if (code == 0)
            {
                inForce = now;
                applied++;
                continue;
            }

            Assert.True(code is 1 or 2, $"{what}: exit {code}: {error}");
            Assert.True(error.Trim().Length > 0, $"{what}: exit {code} without a reason");
            Assert.True(!error.Contains("   at ", StringComparison.Ordinal) && !error.Contains("Exception", StringComparison.Ordinal), $"{what}: {error}");
            Assert.True(now == inForce, $"{what}: exit {code} ({error}), but the policy in force changed from {inForce} to {now}");
            refused++;
        }

        Assert.True(applied > 0 && refused > 0, $"applied {applied}, refused {refused}");
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(100, 0)); // no fuzzed sticky header, shadow or rollback left for the next test
    }
}
