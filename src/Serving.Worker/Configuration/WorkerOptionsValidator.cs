using System.Net;
using Microsoft.Extensions.Options;
using Serving.Hosting.Configuration;

namespace Serving.Worker.Configuration;

/// <summary>
/// What the data annotations on <see cref="WorkerOptions"/> can't say: the bind address must be an IP address (a host
/// name such as <c>localhost</c> was taken as "every interface" without a word), and each listener needs its own port
/// (the same port twice failed only after every model had loaded, as "address already in use").
/// </summary>
internal sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrEmpty(options.BindAddress) && !IPAddress.TryParse(options.BindAddress, out _))
        {
            failures.Add($"{WorkerOptions.Section}:BindAddress '{options.BindAddress}' is not an IP address; use 127.0.0.1 for this machine only, 0.0.0.0 for every interface.");
        }

        failures.AddRange(ListenerPorts.Clashes(WorkerOptions.Section, ("RestPort", options.RestPort), ("GrpcPort", options.GrpcPort), ("MetricsPort", options.MetricsPort)));
        if (Serving.Hosting.Http.BearerToken.Unusable($"{WorkerOptions.Section}:AdminToken", options.AdminToken) is { } unusable)
        {
            failures.Add(unusable);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
