using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;
using Serving.Worker.Features;
using Serving.Worker.Runtime;

namespace Serving.Worker.Inference;

/// <summary>Checks a request against a version's signature and orders its inputs for the session.</summary>
internal static class RequestValidator
{
    /// <summary>
    /// Inputs in signature order. For an entity-form request (<paramref name="features"/> set and the
    /// request sends ids), the target input's slot stays null: the feature lookup fills it.
    /// </summary>
    public static InferTensor[] OrderInputs(string model, ModelSignature signature, InferenceRequest request, FeatureLookup? features = null)
    {
        var ordered = new InferTensor[signature.Inputs.Length];
        var entityForm = features?.IsEntityForm(request) == true;
        long batch = entityForm ? features!.EntityRows(request, signature.MaxBatchSize) : -1;
        foreach (var input in request.Inputs)
        {
            if (entityForm && features!.IsFeatureInput(input.Name))
            {
                continue;
            }

            var index = signature.IndexOfInput(input.Name);
            if (index < 0)
            {
                throw features is not null && input.Name == features.EntityInput
                    ? InferenceException.Invalid($"model '{model}' takes either '{features.EntityInput}' (its features come from the feature store) or '{features.Target.Name}', not both")
                    : InferenceException.Invalid($"model '{model}' has no input '{input.Name}' (inputs: {string.Join(", ", signature.InputNames)})");
            }

            if (ordered[index] is not null)
            {
                throw InferenceException.Invalid($"input '{input.Name}' appears more than once");
            }

            var expected = signature.Inputs[index];
            CheckInput(model, signature.MaxBatchSize, expected, input);
            if (signature.MaxBatchSize > 0)
            {
                if (batch >= 0 && input.Shape[0] != batch)
                {
                    throw InferenceException.Invalid($"inputs of model '{model}' disagree on the batch size ({batch} and {input.Shape[0]})");
                }

                batch = input.Shape[0];
            }

            ordered[index] = input;
        }

        for (var i = 0; i < ordered.Length; i++)
        {
            if (ordered[i] is null && !(entityForm && i == features!.TargetIndex))
            {
                throw InferenceException.Invalid($"model '{model}' needs input '{signature.InputNames[i]}', which the request does not have");
            }
        }

        return ordered;
    }

    public static string[] OutputNames(string model, ModelSignature signature, InferenceRequest request)
    {
        if (request.Outputs.Count == 0)
        {
            return signature.OutputNames;
        }

        var names = new string[request.Outputs.Count];
        for (var i = 0; i < names.Length; i++)
        {
            var name = request.Outputs[i].Name;
            if (signature.IndexOfOutput(name) < 0)
            {
                throw InferenceException.Invalid($"model '{model}' has no output '{name}' (outputs: {string.Join(", ", signature.OutputNames)})");
            }

            if (Array.IndexOf(names, name, 0, i) >= 0)
            {
                throw InferenceException.Invalid($"output '{name}' is requested more than once");
            }

            if (request.Outputs[i].Classification > 0 && signature.Outputs[signature.IndexOfOutput(name)].DataType == DataType.Bytes)
            {
                throw InferenceException.Invalid($"output '{name}' is BYTES: classification needs a numeric output");
            }

            names[i] = name;
        }

        return names;
    }

    private static void CheckInput(string model, int maxBatchSize, TensorSignature expected, InferTensor input)
    {
        if (input.DataType != expected.DataType)
        {
            throw InferenceException.Invalid($"input '{input.Name}' of model '{model}' is {expected.DataType.ToWire()}, but the request sent {input.DataType.ToWire()}");
        }

        if (input.Shape.Length != expected.Shape.Length)
        {
            throw InferenceException.Invalid($"input '{input.Name}' of model '{model}' has shape {Shapes.Format(expected.Shape)} (rank {expected.Shape.Length}), but the request sent {Shapes.Format(input.Shape)}");
        }

        for (var d = 0; d < input.Shape.Length; d++)
        {
            if (input.Shape[d] == 0)
            {
                throw InferenceException.Invalid($"input '{input.Name}' has a zero-sized dimension in shape {Shapes.Format(input.Shape)}; every dimension must be at least 1");
            }

            if (expected.Shape[d] != -1 && expected.Shape[d] != input.Shape[d])
            {
                throw InferenceException.Invalid($"input '{input.Name}' of model '{model}' has shape {Shapes.Format(expected.Shape)}, but the request sent {Shapes.Format(input.Shape)}");
            }
        }

        if (maxBatchSize > 0 && input.Shape[0] > maxBatchSize)
        {
            throw InferenceException.Invalid($"input '{input.Name}': batch size {input.Shape[0]} is over model '{model}''s max_batch_size {maxBatchSize}");
        }
    }
}
