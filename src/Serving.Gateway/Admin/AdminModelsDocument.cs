namespace Serving.Gateway.Admin;

/// <summary><c>GET /admin/models</c>: every model with its versions, their health and weights, and the workers.</summary>
internal sealed class AdminModelsDocument
{
    public List<AdminModelDocument> Models { get; set; } = [];

    public List<AdminWorkerDocument> Workers { get; set; } = [];
}
