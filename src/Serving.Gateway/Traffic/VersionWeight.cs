namespace Serving.Gateway.Traffic;

/// <summary>The share of a model's unversioned requests, in percent, that one version gets.</summary>
internal readonly record struct VersionWeight(string Version, int Weight);
