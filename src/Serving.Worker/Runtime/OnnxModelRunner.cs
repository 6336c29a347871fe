using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;

namespace Serving.Worker.Runtime;

/// <summary>
/// Runs one ONNX Runtime session with the OrtValue API: inputs are wrapped in place (pinned, not
/// copied), outputs are copied once into pooled buffers owned by the returned tensors.
/// </summary>
internal sealed class OnnxModelRunner : IModelRunner, IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    public OnnxModelRunner(InferenceSession session, ModelSignature signature, string provider)
    {
        _session = session;
        Signature = signature;
        Provider = provider;
    }

    public ModelSignature Signature { get; }

    /// <summary>The execution provider in use (<c>cpu</c> or <c>cuda</c>).</summary>
    public string Provider { get; }

    /// <summary>Runs the model; <paramref name="inputs"/> are in signature order, <paramref name="outputNames"/> a subset of its outputs.</summary>
    public List<InferTensor> Run(InferTensor[] inputs, string[] outputNames)
    {
        var values = new OrtValue?[inputs.Length];
        var pins = new MemoryHandle[inputs.Length];
        try
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                values[i] = CreateValue(inputs[i], out pins[i]);
            }

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
            // ORT's messages name graph nodes and dimensions, never files: safe to pass on for bad inputs.
            throw e.Message.Contains("InvalidArgument", StringComparison.Ordinal) || e.Message.Contains("invalid dimensions", StringComparison.OrdinalIgnoreCase)
                ? InferenceException.Invalid($"ONNX Runtime rejected the inputs: {e.Message}")
                : new InferenceException(InferenceErrorCode.Internal, "ONNX Runtime failed to run the model");
        }
        finally
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i]?.Dispose();
                pins[i].Dispose();
            }
        }
    }

    /// <summary>Runs once on zeros (variable dims = 1) so the first real request doesn't pay for lazy initialisation.</summary>
    public void WarmUp()
    {
        var inputs = new InferTensor[Signature.Inputs.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            var sig = Signature.Inputs[i];
            var shape = sig.Shape.Select(d => d < 0 ? 1L : d).ToArray();
            var count = Shapes.ElementCount(shape);
            inputs[i] = sig.DataType == DataType.Bytes
                ? InferTensor.Strings(sig.Name, shape, Enumerable.Repeat(ReadOnlyMemory<byte>.Empty, (int)count).ToArray())
                : InferTensor.Fixed(sig.Name, sig.DataType, shape, new byte[count * sig.DataType.ElementSize()]);
        }

        foreach (var output in Run(inputs, Signature.OutputNames))
        {
            output.Dispose();
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
}
