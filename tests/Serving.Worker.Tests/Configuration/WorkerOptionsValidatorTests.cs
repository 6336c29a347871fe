using Serving.Worker.Configuration;

namespace Serving.Worker.Tests.Configuration;

public sealed class WorkerOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        Assert.True(new WorkerOptionsValidator().Validate(null, new WorkerOptions { AdminToken = "s3cret" }).Succeeded);
    }

    [Theory]
    [InlineData("s3cret\n")]
    [InlineData("\ts3cret")]
    [InlineData(" ")]
    public void Validate_AdminTokenWithWhiteSpaceAtAnEnd_Refused(string token)
    {
        // HTTP trims a header value's white space: load and unload answered every caller 401.
        var result = new WorkerOptionsValidator().Validate(null, new WorkerOptions { AdminToken = token });

        Assert.Contains("Serving:Worker:AdminToken begins or ends with white space", result.FailureMessage, StringComparison.Ordinal);
    }
}
