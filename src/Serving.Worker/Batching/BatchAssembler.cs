using System.Buffers;
using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;

namespace Serving.Worker.Batching;

/// <summary>Copies the requests' inputs once into pooled batch tensors, and slices the batch outputs back per request.</summary>
internal static class BatchAssembler
{
    public static InferTensor[] Concatenate(IReadOnlyList<BatchItem> batch, int totalRows)
    {
        var first = batch[0];
        var result = new InferTensor[first.Inputs.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var template = first.Inputs[i];
            var shape = (long[])template.Shape.Clone();
            shape[0] = totalRows;
            result[i] = template.DataType == DataType.Bytes ? ConcatenateStrings(batch, i, shape) : ConcatenateFixed(batch, i, shape);
        }

        return result;
    }

    private static InferTensor ConcatenateFixed(IReadOnlyList<BatchItem> batch, int input, long[] shape)
    {
        var total = 0;
        foreach (var item in batch)
        {
            total += item.Inputs[input].Data.Length;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        var offset = 0;
        foreach (var item in batch)
        {
            var data = item.Inputs[input].Data.Span;
            data.CopyTo(rented.AsSpan(offset));
            offset += data.Length;
        }

        var template = batch[0].Inputs[input];
        return InferTensor.Fixed(template.Name, template.DataType, shape, rented.AsMemory(0, total), rented);
    }

    private static InferTensor ConcatenateStrings(IReadOnlyList<BatchItem> batch, int input, long[] shape)
    {
        var elements = new List<ReadOnlyMemory<byte>>();
        foreach (var item in batch)
        {
            elements.AddRange(item.Inputs[input].Elements!);
        }

        return InferTensor.Strings(batch[0].Inputs[input].Name, shape, [.. elements]);
    }

    /// <summary>Each request's rows of each output it asked for, over the shared batch outputs.</summary>
    public static BatchResult[] Slice(List<InferTensor> outputs, IReadOnlyList<BatchItem> batch, int totalRows)
    {
        foreach (var output in outputs)
        {
            if (output.Shape.Length == 0 || output.Shape[0] != totalRows)
            {
                throw new InferenceException(InferenceErrorCode.Internal, $"output '{output.Name}' has no batch dimension of {totalRows}; set max_batch_size: 0 for this model");
            }
        }

        var shared = new SharedBatchOutputs(outputs, batch.Count);
        var results = new BatchResult[batch.Count];
        var row = 0;
        for (var b = 0; b < batch.Count; b++)
        {
            var item = batch[b];
            var sliced = new List<InferTensor>(item.OutputNames.Length);
            foreach (var name in item.OutputNames)
            {
                sliced.Add(SliceRows(InferTensor.Find(outputs, name) ?? throw new InvalidOperationException($"the model returned no output '{name}'"), row, item.Rows));
            }

            results[b] = new BatchResult(sliced, shared.Hold());
            row += item.Rows;
        }

        return results;
    }

    private static InferTensor SliceRows(InferTensor output, int firstRow, int rows)
    {
        var shape = (long[])output.Shape.Clone();
        shape[0] = rows;
        var perRow = checked((int)(Shapes.ElementCount(output.Shape.AsSpan(1))));
        if (output.DataType == DataType.Bytes)
        {
            return InferTensor.Strings(output.Name, shape, output.Elements!.AsSpan(firstRow * perRow, rows * perRow).ToArray());
        }

        var rowBytes = perRow * output.DataType.ElementSize();
        return InferTensor.Fixed(output.Name, output.DataType, shape, output.Data.Slice(firstRow * rowBytes, rows * rowBytes));
    }
}
