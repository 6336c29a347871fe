using Microsoft.ML.OnnxRuntime;
using Serving.LoadTests.Baselines.Hosting;
using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;

namespace Serving.LoadTests.Baselines.Naive;

/// <summary>
/// What a user would write by hand: copy each request's inputs into arrays, call <c>session.Run</c> once per
/// request (no batching), copy the outputs back. FP32 inputs only.
/// </summary>
internal sealed class NaiveOnnxModel : IBaselineBackend, IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly ModelDescription _description;
    private readonly string[] _outputNames;

    /// <summary>Loads the model with ORT's default session options (spinning included), as a hand-written server would.</summary>
    public NaiveOnnxModel(string name, string version, string path, int? intraOpThreads)
    {
        _session = OrtSessions.Create(path, intraOpThreads ?? 0, allowSpinning: true);
        _outputNames = [.. _session.OutputMetadata.Keys];
        _description = new ModelDescription(name, version, "onnxruntime_onnx", OrtSessions.Describe(_session.InputMetadata), OrtSessions.Describe(_session.OutputMetadata));
    }

    /// <inheritdoc />
    public ModelDescription? Describe(string model, string version) =>
        model == _description.Name && (version.Length == 0 || version == _description.Version) ? _description : null;

    /// <inheritdoc />
    public InferenceResponse Infer(InferenceRequest request)
    {
        if (Describe(request.ModelName, request.ModelVersion) is null)
        {
            throw InferenceException.NotFound($"unknown model '{request.ModelName}' version '{request.ModelVersion}'");
        }

        var names = new List<string>(request.Inputs.Count);
        var values = new List<OrtValue>(request.Inputs.Count);
        try
        {
            foreach (var input in request.Inputs)
            {
                if (!_session.InputMetadata.ContainsKey(input.Name))
                {
                    throw InferenceException.Invalid($"the model has no input '{input.Name}'");
                }

                if (input.DataType != DataType.FP32)
                {
                    throw InferenceException.Invalid($"input '{input.Name}': the naive baseline takes FP32 only, not {input.DataType.ToWire()}");
                }

                names.Add(input.Name);
                values.Add(OrtValue.CreateTensorValueFromMemory(input.As<float>().ToArray(), input.Shape));
            }

            if (names.Count != _session.InputMetadata.Count)
            {
                throw InferenceException.Invalid($"the model needs inputs {string.Join(", ", _session.InputMetadata.Keys)}");
            }

            using var outputs = _session.Run(_runOptions, names, values, _outputNames);
            var tensors = new List<InferTensor>(outputs.Count);
            for (var i = 0; i < outputs.Count; i++)
            {
                tensors.Add(ToTensor(_outputNames[i], outputs[i]));
            }

            return new InferenceResponse(_description.Name, _description.Version, request.Id, tensors);
        }
        catch (OnnxRuntimeException e)
        {
            // Shape and type mismatches surface here; they are the caller's to fix.
            throw InferenceException.Invalid($"ONNX Runtime: {e.Message}");
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static InferTensor ToTensor(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var type = OrtTypes.ToDataType(info.ElementDataType);
        if (type is DataType.Unknown or DataType.Bytes)
        {
            throw new InferenceException(InferenceErrorCode.Internal, $"output '{name}' has a type the naive baseline cannot return");
        }

        var bytes = value.GetTensorMutableRawData().ToArray();
        return InferTensor.Fixed(name, type, info.Shape, bytes);
    }
}
