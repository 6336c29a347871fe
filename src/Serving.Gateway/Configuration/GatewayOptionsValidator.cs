using Microsoft.Extensions.Options;
using Serving.Hosting.Configuration;

namespace Serving.Gateway.Configuration;

/// <summary>Checks what data annotations can't: worker addresses, distinct ports, the admin token's strength.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public const int MinimumTokenLength = 16;

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        if (options.Workers.Count == 0)
        {
            failures.Add($"{GatewayOptions.Section}:Workers is empty: name at least one worker (Rest and Grpc addresses)");
        }

        for (var i = 0; i < options.Workers.Count; i++)
        {
            CheckAddress(failures, $"{GatewayOptions.Section}:Workers:{i}:Rest", options.Workers[i].Rest);
            CheckAddress(failures, $"{GatewayOptions.Section}:Workers:{i}:Grpc", options.Workers[i].Grpc);
        }

        failures.AddRange(ListenerPorts.Clashes(
            GatewayOptions.Section, ("RestPort", options.RestPort), ("GrpcPort", options.GrpcPort), ("MetricsPort", options.MetricsPort), ("AdminPort", options.AdminPort)));

        if (!string.IsNullOrEmpty(options.AdminToken) && options.AdminToken.Length < MinimumTokenLength)
        {
            failures.Add($"{GatewayOptions.Section}:AdminToken is shorter than {MinimumTokenLength} characters");
        }

        if (Serving.Hosting.Http.BearerToken.Unusable($"{GatewayOptions.Section}:AdminToken", options.AdminToken) is { } unusable)
        {
            failures.Add(unusable);
        }

        if (!System.Net.IPAddress.TryParse(options.BindAddress, out _))
        {
            failures.Add($"{GatewayOptions.Section}:BindAddress '{options.BindAddress}' is not an IP address; use 127.0.0.1 for this machine only, 0.0.0.0 for every interface");
        }

        if (!System.Net.IPAddress.TryParse(options.AdminBindAddress, out _))
        {
            failures.Add($"{GatewayOptions.Section}:AdminBindAddress '{options.AdminBindAddress}' is not an IP address; use 127.0.0.1 for this machine only");
        }

        if (string.IsNullOrWhiteSpace(options.RedisConnectionString) && File.Exists(options.DataDirectory))
        {
            failures.Add($"{GatewayOptions.Section}:DataDirectory '{options.DataDirectory}' is a file: give a folder for the policy file (--data-dir), or --redis");
        }

        if (!string.IsNullOrWhiteSpace(options.RedisConnectionString) && RedisConnectionString.TryParse(options.RedisConnectionString, out var redis) is null)
        {
            failures.Add($"{GatewayOptions.Section}:RedisConnectionString '{RedisConnectionString.Redact(options.RedisConnectionString)}' is not a Redis connection string ({redis}); give {RedisConnectionString.Example} (--redis), or leave it empty for the policy file");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckAddress(List<string> failures, string key, string? value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query) || string.IsNullOrEmpty(uri.Host))
        {
            failures.Add($"{key} must be an http:// address with a host and port and no path (got '{value}')");
        }
    }
}
