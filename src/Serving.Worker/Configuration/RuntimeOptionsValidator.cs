using Microsoft.Extensions.Options;
using Serving.Worker.Runtime;

namespace Serving.Worker.Configuration;

/// <summary>Fails the start when the configured provider is unknown, or CUDA is asked for on a build without it.</summary>
internal sealed class RuntimeOptionsValidator : IValidateOptions<RuntimeOptions>
{
    public ValidateOptionsResult Validate(string? name, RuntimeOptions options)
    {
        if (!ExecutionProviders.TryParse(options.ExecutionProvider, out var kind))
        {
            return ValidateOptionsResult.Fail($"{RuntimeOptions.Section}:ExecutionProvider is '{options.ExecutionProvider}'; use auto, cpu or cuda.");
        }

        return kind == ExecutionProviderKind.Cuda && !ExecutionProviders.CudaAvailable
            ? ValidateOptionsResult.Fail($"{RuntimeOptions.Section}:ExecutionProvider: {ExecutionProviders.CudaMissingMessage}")
            : ValidateOptionsResult.Success;
    }
}
