namespace Serving.Protocol.Messages;

/// <summary>
/// An output the caller asked for: whether it wants it as binary (Triton's REST extension), and how many top classes
/// it wants instead of the raw values (Triton's classification extension; 0 = the raw tensor).
/// </summary>
public readonly record struct RequestedOutput(string Name, bool? Binary, int Classification = 0)
{
    /// <summary>The output parameter of Triton's classification extension: the number of top classes to return.</summary>
    public const string ClassificationParameter = "classification";

    /// <summary>The largest class count accepted (a request for more classes than an output has gets them all).</summary>
    public const long MaxClassification = 1 << 20;

    /// <summary>A class count from a parameter's integer value: 0 = none; negative or absurd counts are refused.</summary>
    public static int ClassCount(string output, long value) =>
        value is < 0 or > MaxClassification
            ? throw Errors.InferenceException.Invalid($"output '{output}': '{ClassificationParameter}' must be a whole number from 0 to {MaxClassification}, not {value}")
            : (int)value;
}
