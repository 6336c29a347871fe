using Serving.LoadTests.Targets;
using Serving.Protocol.Errors;
using Serving.Protocol.Rest;

namespace Serving.LoadTests.Payloads;

/// <summary>Builds the request to send: the inputs of <c>--input-file</c>, or random data shaped by the model's metadata.</summary>
internal static class PayloadResolver
{
    /// <summary>The payload for <paramref name="target"/>.</summary>
    public static async Task<InferPayload> ResolveAsync(LoadTarget target, CancellationToken cancellationToken)
    {
        if (target.InputFile is { } file)
        {
            return await FromFileAsync(target, file, cancellationToken);
        }

        var specs = await ModelMetadataClient.GetInputsAsync(target, cancellationToken);
        if (specs.Count == 0)
        {
            throw new LoadTestException($"model '{target.Model}' reports no inputs; pass --input-file");
        }

        var random = new Random(20240601);
        return new InferPayload(target.Model, target.ModelVersion, specs.Select(s => RandomTensorFactory.Create(s, target.Batch, random)).ToList());
    }

    private static async Task<InferPayload> FromFileAsync(LoadTarget target, string file, CancellationToken cancellationToken)
    {
        byte[] body;
        try
        {
            body = await File.ReadAllBytesAsync(file, cancellationToken);
        }
        catch (IOException e)
        {
            throw LoadTestException.Usage($"cannot read --input-file '{file}': {e.Message}", e);
        }

        try
        {
            // Only the inputs are taken; requested outputs and parameters in the file are not sent.
            var request = RestInferRequestReader.Read(body, null, target.Model, target.ModelVersion, long.MaxValue, null);
            return new InferPayload(target.Model, target.ModelVersion, request.Inputs);
        }
        catch (InferenceException e)
        {
            throw LoadTestException.Usage($"--input-file '{file}' is not an OIP infer request: {e.Message}", e);
        }
    }
}
