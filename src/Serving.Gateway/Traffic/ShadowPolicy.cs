namespace Serving.Gateway.Traffic;

/// <summary><paramref name="Percent"/>% of a model's requests are also sent to <paramref name="Version"/>; its answer is compared and discarded.</summary>
internal sealed record ShadowPolicy(string Version, int Percent);
