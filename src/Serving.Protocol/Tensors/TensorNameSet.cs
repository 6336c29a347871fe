namespace Serving.Protocol.Tensors;

/// <summary>
/// The names of the inputs read so far from one request, to refuse a name given twice. While the request has few inputs
/// (the usual case: one to a handful) it scans them and allocates nothing; past <see cref="ScanLimit"/> it keeps a hash
/// set, so a body of tens of thousands of inputs costs linear time. A scan per input made such a body quadratic: 100,000
/// one-element inputs (6 MB of JSON, well under the body limit) held a core for more than 30 s before the 400.
/// </summary>
internal struct TensorNameSet
{
    internal const int ScanLimit = 8;

    private HashSet<string>? _names;

    /// <summary>
    /// Whether <paramref name="name"/> is new among <paramref name="inputs"/>, the inputs read so far (this set's
    /// caller adds each input to it after this call).
    /// </summary>
    public bool IsNew(List<InferTensor> inputs, string name)
    {
        if (_names is null)
        {
            if (inputs.Count < ScanLimit)
            {
                return InferTensor.Find(inputs, name) is null;
            }

            _names = new HashSet<string>(inputs.Count * 2, StringComparer.Ordinal);
            foreach (var input in inputs)
            {
                _names.Add(input.Name);
            }
        }

        return _names.Add(name);
    }
}
