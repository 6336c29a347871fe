using System.Net;
using Microsoft.Extensions.Options;

namespace Serving.Worker.Configuration;

/// <summary>
/// What the data annotations on <see cref="WorkerOptions"/> can't say: the bind address must be an IP address. A host
/// name such as <c>localhost</c> was taken as "every interface" without a word.
/// </summary>
internal sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options) =>
        string.IsNullOrEmpty(options.BindAddress) || IPAddress.TryParse(options.BindAddress, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{WorkerOptions.Section}:BindAddress '{options.BindAddress}' is not an IP address; use 127.0.0.1 for this machine only, 0.0.0.0 for every interface.");
}
