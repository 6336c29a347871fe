using Serving.Gateway.Configuration;

namespace Serving.Gateway.Tests.Configuration;

public sealed class GatewayOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_WithOneWorker_Pass()
    {
        Assert.True(new GatewayOptionsValidator().Validate(null, Options()).Succeeded);
    }

    [Fact]
    public void Validate_NoWorkers_NamesTheKey()
    {
        var result = new GatewayOptionsValidator().Validate(null, new GatewayOptions());

        Assert.Contains("Serving:Gateway:Workers is empty", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:8080")]
    [InlineData("ftp://h:1")]
    [InlineData("http://h:8080/v2")]
    [InlineData(null)]
    public void Validate_BadWorkerAddress_NamesTheKey(string? rest)
    {
        var options = Options();
        options.Workers[0].Rest = rest;

        Assert.Contains("Serving:Gateway:Workers:0:Rest must be an http:// address", new GatewayOptionsValidator().Validate(null, options).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SamePortTwice_Refused()
    {
        var options = Options();
        options.AdminPort = options.RestPort;

        Assert.Contains("RestPort and AdminPort are all 8000", new GatewayOptionsValidator().Validate(null, options).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ShortToken_Refused()
    {
        var options = Options();
        options.AdminToken = "short";

        Assert.Contains("AdminToken is shorter than 16 characters", new GatewayOptionsValidator().Validate(null, options).FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gateway-admin-token-0123456789\n")] // a Kubernetes secret made --from-file keeps the file's newline
    [InlineData(" gateway-admin-token-0123456789")]
    [InlineData("                ")]
    public void Validate_TokenWithWhiteSpaceAtAnEnd_Refused(string token)
    {
        // HTTP trims a header value's white space: such a token turned the admin API on and every caller got 401.
        var options = Options();
        options.AdminToken = token;

        Assert.Contains("Serving:Gateway:AdminToken begins or ends with white space", new GatewayOptionsValidator().Validate(null, options).FailureMessage, StringComparison.Ordinal);
    }

    private static GatewayOptions Options() => new() { Workers = [new WorkerAddressOptions { Rest = "http://127.0.0.1:8080", Grpc = "http://127.0.0.1:8081" }] };
}
