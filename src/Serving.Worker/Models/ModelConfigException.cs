namespace Serving.Worker.Models;

/// <summary>A model's configuration or files are not usable; the message names the model, version and field.</summary>
internal sealed class ModelConfigException(string message) : Exception(message);
