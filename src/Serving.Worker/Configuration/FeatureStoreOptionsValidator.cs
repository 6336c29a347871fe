using Microsoft.Extensions.Options;
using Serving.Hosting.Configuration;

namespace Serving.Worker.Configuration;

/// <summary>Fails the start when <c>Serving:Features:Redis</c> is set but is not a connection string (it left models loading forever).</summary>
internal sealed class FeatureStoreOptionsValidator : IValidateOptions<FeatureStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, FeatureStoreOptions options) =>
        string.IsNullOrEmpty(options.Redis) || RedisConnectionString.TryParse(options.Redis, out var error) is not null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{FeatureStoreOptions.Section}:Redis is not a Redis connection string ({error}); give {RedisConnectionString.Example}, or leave it empty for the in-memory store.");
}
