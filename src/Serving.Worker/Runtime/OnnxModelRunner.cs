using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;

namespace Serving.Worker.Runtime;

/// <summary>
/// Runs one ONNX Runtime session with the OrtValue API: inputs are wrapped in place (pinned, not
/// copied). Outputs whose shape follows from the rows (every dimension fixed but the batch) are
/// written by ONNX Runtime straight into pooled buffers that the returned tensors own; any other
/// output is allocated by ONNX Runtime and copied once into a pooled buffer.
/// </summary>
internal sealed partial class OnnxModelRunner : IModelRunner, IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly ILogger _logger;
    private readonly string _label;

    /// <summary>Per signature output: its dimensions, -1 for the batch, when every other one is fixed; else null.</summary>
    private readonly long[]?[] _outputShapes;

    /// <summary>
    /// Set by <see cref="WarmUp"/> once a run showed ONNX Runtime's outputs with the predicted shapes, and cleared
    /// if a run into predicted buffers ever fails where ONNX Runtime's own allocation succeeds.
    /// </summary>
    private volatile bool _preallocate;

    /// <param name="label">Names the model version in log lines ("tabular version 2").</param>
    public OnnxModelRunner(InferenceSession session, ModelSignature signature, string provider, ILogger? logger = null, string label = "the model")
    {
        _logger = logger ?? NullLogger.Instance;
        _label = label;
        _session = session;
        Signature = signature;
        Provider = provider;
        _outputShapes = signature.Outputs.Select(o => PredictableShape(o, signature.MaxBatchSize)).ToArray();
    }

    public ModelSignature Signature { get; }

    /// <summary>The execution provider in use (<c>cpu</c> or <c>cuda</c>).</summary>
    public string Provider { get; }

    /// <summary>True while outputs are written straight into pooled buffers (see <see cref="WarmUp"/>).</summary>
    public bool WritesOutputsInPlace => _preallocate;

    /// <summary>Runs the model; <paramref name="inputs"/> are in signature order, <paramref name="outputNames"/> a subset of its outputs.</summary>
    public List<InferTensor> Run(InferTensor[] inputs, string[] outputNames)
    {
        if (_preallocate && PlanOutputs(inputs, outputNames) is { } plans)
        {
            try
            {
                return Run(inputs, outputNames, plans);
            }
            catch (InferenceException)
            {
                // Below: a failure ORT's own allocation doesn't repeat was ours, and this model's outputs are left to ORT from now on.
            }

            var allocated = RunAllocating(inputs, outputNames);
            if (_preallocate)
            {
                _preallocate = false;
                Log.OutputShapesMispredicted(_logger, _label, Describe(plans.Select(p => p.Shape)), Describe(allocated.Select(o => o.Shape)));
            }

            return allocated;
        }

        return RunAllocating(inputs, outputNames);
    }

    /// <summary>ORT allocates the outputs; each is copied into a pooled buffer.</summary>
    private List<InferTensor> RunAllocating(InferTensor[] inputs, string[] outputNames)
    {
        var values = new OrtValue?[inputs.Length];
        var pins = new MemoryHandle[inputs.Length];
        try
        {
            CreateInputs(inputs, values, pins);

            using var results = _session.Run(_runOptions, Signature.InputNames, values!, outputNames);
            var outputs = new List<InferTensor>(outputNames.Length);
            var index = 0;
            foreach (var result in results)
            {
                outputs.Add(ReadValue(outputNames[index++], result));
            }

            return outputs;
        }
        catch (OnnxRuntimeException e)
        {
            throw Translate(e);
        }
        finally
        {
            Release(values, pins);
        }
    }

    /// <summary>ORT writes each output into a pooled buffer of the predicted shape, which the returned tensor owns.</summary>
    private unsafe List<InferTensor> Run(InferTensor[] inputs, string[] outputNames, OutputPlan[] plans)
    {
        var values = new OrtValue?[inputs.Length];
        var pins = new MemoryHandle[inputs.Length];
        var outputValues = new OrtValue?[outputNames.Length];
        var outputPins = new MemoryHandle[outputNames.Length];
        var outputs = new List<InferTensor>(outputNames.Length);
        var done = false;
        try
        {
            CreateInputs(inputs, values, pins);

            for (var o = 0; o < outputNames.Length; o++)
            {
                var (shape, type) = plans[o];
                var length = checked((int)(Shapes.ElementCount(shape) * type.ElementSize()));
                var rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                outputs.Add(InferTensor.Fixed(outputNames[o], type, shape, rented.AsMemory(0, length), rented));
                outputPins[o] = rented.AsMemory().Pin();
                outputValues[o] = OrtValue.CreateTensorValueWithData(
                    OrtMemoryInfo.DefaultInstance, OrtTypes.ToElementType(type), shape, (IntPtr)outputPins[o].Pointer, length);
            }

            _session.Run(_runOptions, Signature.InputNames, values!, outputNames, outputValues!);
            done = true;
            return outputs;
        }
        catch (OnnxRuntimeException e)
        {
            throw Translate(e);
        }
        finally
        {
            Release(values, pins);
            Release(outputValues, outputPins);
            if (!done)
            {
                foreach (var output in outputs)
                {
                    output.Dispose();
                }
            }
        }
    }

    /// <summary>
    /// The shapes and datatypes of the requested outputs for these inputs' rows, or null when one of them can't be
    /// known before the run (a dimension other than the batch that isn't fixed, or BYTES).
    /// </summary>
    private OutputPlan[]? PlanOutputs(InferTensor[] inputs, string[] outputNames)
    {
        var rows = Signature.MaxBatchSize > 0 && inputs.Length > 0 ? inputs[0].Shape[0] : 1;
        if (rows <= 0)
        {
            return null; // an empty batch is left to ORT: nothing to gain, and nothing to learn from a failure
        }

        var plans = new OutputPlan[outputNames.Length];
        for (var o = 0; o < outputNames.Length; o++)
        {
            var index = Signature.IndexOfOutput(outputNames[o]);
            if (index < 0 || _outputShapes[index] is not { } predicted)
            {
                return null;
            }

            var shape = (long[])predicted.Clone();
            if (Signature.MaxBatchSize > 0)
            {
                shape[0] = rows;
            }

            plans[o] = new OutputPlan(shape, Signature.Outputs[index].DataType);
        }

        return plans;
    }

    /// <summary>An output's shape for one run, and its datatype.</summary>
    private readonly record struct OutputPlan(long[] Shape, DataType Type);

    private static void CreateInputs(InferTensor[] inputs, OrtValue?[] values, MemoryHandle[] pins)
    {
        for (var i = 0; i < inputs.Length; i++)
        {
            values[i] = CreateValue(inputs[i], out pins[i]);
        }
    }

    private static long[]? PredictableShape(TensorSignature output, int maxBatchSize)
    {
        if (output.DataType is DataType.Bytes or DataType.Unknown)
        {
            return null;
        }

        var batched = maxBatchSize > 0;
        if (batched && (output.Shape.Length == 0 || output.Shape[0] != -1))
        {
            return null;
        }

        for (var d = batched ? 1 : 0; d < output.Shape.Length; d++)
        {
            if (output.Shape[d] < 0)
            {
                return null;
            }
        }

        return output.Shape;
    }

    private static string Describe(IEnumerable<long[]> shapes) => string.Join(", ", shapes.Select(s => $"[{string.Join(", ", s)}]"));

    // ORT's messages name graph nodes and dimensions, never files: safe to pass on for bad inputs.
    private static InferenceException Translate(OnnxRuntimeException e) =>
        e.Message.Contains("InvalidArgument", StringComparison.Ordinal) || e.Message.Contains("invalid dimensions", StringComparison.OrdinalIgnoreCase)
            ? InferenceException.Invalid($"ONNX Runtime rejected the inputs: {e.Message}")
            : new InferenceException(InferenceErrorCode.Internal, "ONNX Runtime failed to run the model");

    private static void Release(OrtValue?[] values, MemoryHandle[] pins)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i]?.Dispose();
            pins[i].Dispose();
        }
    }

    /// <summary>
    /// Runs on zeros (2 rows when the model batches, other variable dims = 1) so the first real request doesn't pay for
    /// lazy initialisation; outputs are written in place from then on if ORT's own outputs had the predicted shapes.
    /// </summary>
    public void WarmUp()
    {
        var rows = Math.Min(2, Math.Max(Signature.MaxBatchSize, 1));
        var inputs = new InferTensor[Signature.Inputs.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            var sig = Signature.Inputs[i];
            var shape = sig.Shape.Select((d, at) => at == 0 && Signature.MaxBatchSize > 0 ? rows : d < 0 ? 1L : d).ToArray();
            var count = Shapes.ElementCount(shape);
            inputs[i] = sig.DataType == DataType.Bytes
                ? InferTensor.Strings(sig.Name, shape, Enumerable.Repeat(ReadOnlyMemory<byte>.Empty, (int)count).ToArray())
                : InferTensor.Fixed(sig.Name, sig.DataType, shape, new byte[count * sig.DataType.ElementSize()]);
        }

        var predicted = PlanOutputs(inputs, Signature.OutputNames);
        var outputs = RunAllocating(inputs, Signature.OutputNames);
        var matches = predicted is not null;
        for (var o = 0; o < outputs.Count; o++)
        {
            matches &= predicted is not null && outputs[o].Shape.AsSpan().SequenceEqual(predicted[o].Shape);
        }

        if (predicted is not null && !matches)
        {
            Log.WarmUpShapesMispredicted(_logger, _label, Describe(predicted.Select(p => p.Shape)), Describe(outputs.Select(o => o.Shape)));
        }

        outputs.ForEach(o => o.Dispose());
        if (matches)
        {
            foreach (var output in Run(inputs, Signature.OutputNames, predicted!))
            {
                output.Dispose();
            }

            _preallocate = true;
        }
    }

    private static unsafe OrtValue CreateValue(InferTensor tensor, out MemoryHandle pin)
    {
        pin = default;
        var type = OrtTypes.ToElementType(tensor.DataType);
        if (tensor.DataType == DataType.Bytes)
        {
            var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, tensor.Shape);
            var elements = tensor.Elements!;
            for (var i = 0; i < elements.Length; i++)
            {
                value.StringTensorSetElementAt(elements[i].Span, i);
            }

            return value;
        }

        if (tensor.Data.Length == 0)
        {
            return OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, tensor.Shape);
        }

        pin = tensor.Data.Pin();
        return OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, type, tensor.Shape, (IntPtr)pin.Pointer, tensor.Data.Length);
    }

    private static InferTensor ReadValue(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        var type = OrtTypes.ToDataType(info.ElementDataType);
        if (type == DataType.Bytes)
        {
            var count = (int)info.ElementCount;
            var elements = new ReadOnlyMemory<byte>[count];
            for (var i = 0; i < count; i++)
            {
                elements[i] = value.GetStringElementAsSpan(i).ToArray();
            }

            return InferTensor.Strings(name, shape, elements);
        }

        var source = value.GetTensorMutableRawData();
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(source.Length, 1));
        source.CopyTo(rented);
        return InferTensor.Fixed(name, type, shape, rented.AsMemory(0, source.Length), rented);
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning,
            "{Model}: at warm-up ONNX Runtime's outputs were {Actual}, not {Expected} as the configured output shapes imply; its outputs are copied, not written in place. If the outputs' first dimension is not the batch, batched requests can't be answered: check the outputs in model.yaml")]
        public static partial void WarmUpShapesMispredicted(ILogger logger, string model, string expected, string actual);

        [LoggerMessage(2, LogLevel.Warning,
            "{Model}: a run's outputs were {Actual}, not {Expected} as the configured output shapes imply; from now on its outputs are copied, not written in place. Check the outputs in model.yaml")]
        public static partial void OutputShapesMispredicted(ILogger logger, string model, string expected, string actual);
    }
}
