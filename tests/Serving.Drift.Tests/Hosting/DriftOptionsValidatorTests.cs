using Serving.Drift.Hosting;

namespace Serving.Drift.Tests.Hosting;

public sealed class DriftOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Pass()
    {
        Assert.True(new DriftOptionsValidator().Validate(null, new DriftOptions()).Succeeded);
    }

    [Theory]
    [InlineData("Serving:Drift:Thresholds:PsiModerate: DriftThresholds.PsiModerate must be a positive number.")]
    [InlineData("Serving:Drift:Thresholds:PsiMajor: DriftThresholds.PsiMajor must be a positive number.")]
    [InlineData("Serving:Drift:Window:Capacity (400) must be at least Thresholds:MinimumWindowSize (500), or no version could ever be flagged.")]
    [InlineData("Serving:Drift:Window:MaxAge must be positive (or infinite).")]
    [InlineData("Serving:Drift:Evaluation needs EveryRecords or Interval, or nothing is ever scored.")]
    [InlineData("Serving:Drift:Archive:MaxFileBytes must be at least 1024.")]
    [InlineData("Serving:Drift:Alerts:WebhookUrl must be an absolute http:// or https:// URL (or empty).")]
    [InlineData("Serving:Drift:RestPort must differ from GrpcPort.")]
    public void Validate_BadSetting_FailsWithAMessageNamingTheKey(string expected)
    {
        var options = new DriftOptions();
        switch (expected.Split(' ')[0].TrimEnd(':'))
        {
            case "Serving:Drift:Thresholds:PsiModerate": options.Thresholds.PsiModerate = -1; break;
            case "Serving:Drift:Thresholds:PsiMajor": options.Thresholds.PsiMajor = 0; break;
            case "Serving:Drift:Window:Capacity": options.Window.Capacity = 400; break;
            case "Serving:Drift:Window:MaxAge": options.Window.MaxAge = TimeSpan.Zero; break;
            case "Serving:Drift:Evaluation": options.Evaluation.EveryRecords = 0; options.Evaluation.Interval = TimeSpan.Zero; break;
            case "Serving:Drift:Archive:MaxFileBytes": options.Archive.MaxFileBytes = 10; break;
            case "Serving:Drift:Alerts:WebhookUrl": options.Alerts.WebhookUrl = "hooks.example/drift"; break;
            case "Serving:Drift:RestPort": options.RestPort = options.GrpcPort; break;
        }

        var result = new DriftOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.Failures!);
    }

    [Theory]
    [InlineData(" ingest-token")]
    [InlineData("ingest-token\n")]
    public void Validate_IngestTokenWithWhiteSpaceAtAnEnd_Fails(string token)
    {
        var result = new DriftOptionsValidator().Validate(null, new DriftOptions { IngestToken = token });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Serving:Drift:IngestToken begins or ends with white space", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_IngestToken_Passes()
    {
        Assert.True(new DriftOptionsValidator().Validate(null, new DriftOptions { IngestToken = "an ingest token" }).Succeeded);
    }

    [Theory]
    [InlineData(0.25, 0.25)]
    [InlineData(0.3, 0.2)]
    public void Validate_PsiModerateNotBelowPsiMajor_Fails(double moderate, double major)
    {
        var options = new DriftOptions();
        options.Thresholds.PsiModerate = moderate;
        options.Thresholds.PsiMajor = major;

        var result = new DriftOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains($"Serving:Drift:Thresholds:PsiModerate: DriftThresholds.PsiModerate must be below PsiMajor ({major}).", result.Failures!);
    }

    [Fact]
    public void Defaults_PsiBandEdges_AreTheIssueBands()
    {
        var thresholds = new DriftOptions().Thresholds;

        Assert.Equal(0.1, thresholds.PsiModerate);
        Assert.Equal(0.25, thresholds.PsiMajor);
    }
}
