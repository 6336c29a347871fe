using System.Runtime.InteropServices;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Targets;
using Serving.Protocol.Inference;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// Before any load: the first entities sent in both forms, one call at a time, to show the two arms compute the
/// same thing (same outputs, no row filled with defaults).
/// </summary>
/// <param name="Entities">Entities checked.</param>
/// <param name="MaxAbsDifference">The largest difference between an output of the entity form and of the inline form.</param>
/// <param name="DefaultedResponses">Entity-form answers that said some row got defaults.</param>
internal sealed record FormAgreement(int Entities, double MaxAbsDifference, int DefaultedResponses)
{
    /// <summary>Outputs closer than this count as equal (float32 rounding of the same values).</summary>
    public const double Tolerance = 1e-5;

    /// <summary>True when every checked entity gave the same outputs in both forms, without defaults.</summary>
    public bool Agrees => Entities > 0 && MaxAbsDifference <= Tolerance && DefaultedResponses == 0;

    /// <summary>Sends the first <paramref name="count"/> entities in both forms to <paramref name="address"/>.</summary>
    public static async Task<FormAgreement> CheckAsync(
        Uri address, IReadOnlyList<InferPayload> entityForm, IReadOnlyList<InferPayload> inlineForm, int count, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = HttpHandlers.ForGrpc(), DisposeHttpClient = true });
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var checkedCount = Math.Min(count, Math.Min(entityForm.Count, inlineForm.Count));
        double maxDifference = 0;
        var defaulted = 0;
        for (var i = 0; i < checkedCount; i++)
        {
            var byId = await CallAsync(client, entityForm[i], cancellationToken);
            var inline = await CallAsync(client, inlineForm[i], cancellationToken);
            defaulted += byId.Parameters.ContainsKey("features_defaulted_rows") ? 1 : 0;
            maxDifference = Math.Max(maxDifference, MaxDifference(Outputs(byId), Outputs(inline)));
        }

        return new FormAgreement(checkedCount, maxDifference, defaulted);
    }

    /// <summary>The largest element difference; infinity when the lengths differ.</summary>
    internal static double MaxDifference(float[] a, float[] b) =>
        a.Length != b.Length ? double.PositiveInfinity : a.Zip(b, (x, y) => (double)Math.Abs(x - y)).DefaultIfEmpty(0).Max();

    private static async Task<ModelInferResponse> CallAsync(GRPCInferenceService.GRPCInferenceServiceClient client, InferPayload payload, CancellationToken cancellationToken)
    {
        try
        {
            return await client.ModelInferAsync(GrpcPayloadEncoder.ToMessage(payload), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            throw new LoadTestException($"checking that both forms agree: gRPC {e.StatusCode}: {e.Status.Detail}", e);
        }
    }

    private static float[] Outputs(ModelInferResponse response) => response.RawOutputContents.Count > 0
        ? response.RawOutputContents.SelectMany(raw => MemoryMarshal.Cast<byte, float>(raw.Span).ToArray()).ToArray()
        : response.Outputs.SelectMany(o => o.Contents?.Fp32Contents ?? (IEnumerable<float>)[]).ToArray();
}
