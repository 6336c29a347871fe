using Serving.Deploy.Tests.Checks;

namespace Serving.Deploy.Tests;

public sealed class ConfigurationKeysTests
{
    [Theory]
    [InlineData("Serving__Worker__RestPort", "9000")]
    [InlineData("Serving__Worker__PredictionLogs__Endpoint", "http://127.0.0.1:8090")]
    [InlineData("Serving__Gateway__Workers__3__ResolveDns", "true")]
    [InlineData("Serving__Drift__Thresholds__PsiMajor", "0.25")]
    [InlineData("Serving__Drift__Alerts__WebhookTimeout", "00:00:05")]
    [InlineData("Serving__Shutdown__DrainTimeout", "00:00:30")]
    [InlineData("Serving__Tracing__OtlpEndpoint", "http://otel:4317")]
    [InlineData("Logging__LogLevel__Default", "Warning")]
    public void Check_RealKey_IsAccepted(string name, string value)
    {
        Assert.Null(ConfigurationKeys.Check(ConfigurationKeys.FromEnvironment(name), value));
    }

    [Theory]
    [InlineData("Serving__Worker__RestPrt", "9000", "has no 'RestPrt'")]
    [InlineData("Serving__Worker__RestPort", "http", "is not a Int32")]
    [InlineData("Serving__Gateway__Workers__first__Rest", "http://w:8080", "has no 'first'")]
    [InlineData("Serving__Gateway__Workers__0", "x", "names a section")]
    [InlineData("Serving__Drift__Window__Size", "10", "DriftWindowOptions")]
    [InlineData("Serving__Batching__Enabled", "true", "no options section")]
    public void Check_WrongKey_IsReported(string name, string value, string expected)
    {
        Assert.Contains(expected, ConfigurationKeys.Check(ConfigurationKeys.FromEnvironment(name), value), StringComparison.Ordinal);
    }

    [Fact]
    public void Sections_AreFoundByReflection()
    {
        Assert.Contains("Serving:Worker", ConfigurationKeys.Sections.Keys);
        Assert.Contains("Serving:Worker:PredictionLogs", ConfigurationKeys.Sections.Keys);
        Assert.Contains("Serving:Gateway", ConfigurationKeys.Sections.Keys);
        Assert.Contains("Serving:Drift", ConfigurationKeys.Sections.Keys);
    }

    /// <summary>
    /// A role refuses a key under a top-level section no role of the product has (<c>Serving:Wroker</c>), and leaves
    /// the others to their roles: the product's list of those sections is every options type's, and the metrics key's.
    /// </summary>
    [Fact]
    public void ProductSections_AreTheOptionsSections()
    {
        var fromOptions = ConfigurationKeys.Sections.Keys.Select(k => k.Split(':')[1]).Append("Metrics").ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.True(
            fromOptions.SetEquals(Serving.Hosting.Configuration.UnknownSettings.ProductSections),
            $"options: {string.Join(", ", fromOptions.Order(StringComparer.Ordinal))}; product: {string.Join(", ", Serving.Hosting.Configuration.UnknownSettings.ProductSections.Order(StringComparer.Ordinal))}");
    }
}
