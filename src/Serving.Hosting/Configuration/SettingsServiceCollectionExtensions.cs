using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Serving.Hosting.Configuration;

/// <summary>Registration of the settings a role reads, so that a <c>Serving:…</c> key none of them reads stops the start.</summary>
public static class SettingsServiceCollectionExtensions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="section"/> (as <c>BindConfiguration</c>) and adds the section
    /// to the role's settings: at start, a key under it that <typeparamref name="TOptions"/> does not bind is refused
    /// (<see cref="UnknownSettings"/>).
    /// </summary>
    public static OptionsBuilder<TOptions> BindSettings<TOptions>(this OptionsBuilder<TOptions> builder, string section)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSettingsSection(new SettingsSection(section, typeof(TOptions)));
        return builder.BindConfiguration(section);
    }

    /// <summary>Adds <paramref name="section"/> to the settings this role reads, for what it reads without an options type.</summary>
    public static IServiceCollection AddSettingsSection(this IServiceCollection services, SettingsSection section)
    {
        services.AddSingleton(section);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SettingsCheck>, UnknownSettingsValidator>());
        services.AddOptions<SettingsCheck>().ValidateOnStart();
        return services;
    }

    private sealed class UnknownSettingsValidator(IConfiguration configuration, IEnumerable<SettingsSection> sections) : IValidateOptions<SettingsCheck>
    {
        public ValidateOptionsResult Validate(string? name, SettingsCheck options) =>
            UnknownSettings.Find(configuration, sections) is { Count: > 0 } unknown ? ValidateOptionsResult.Fail(unknown) : ValidateOptionsResult.Success;
    }
}

/// <summary>The check, at start, that every <c>Serving:…</c> setting given is one the role reads (nothing to set).</summary>
public sealed class SettingsCheck;
