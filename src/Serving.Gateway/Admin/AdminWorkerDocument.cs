namespace Serving.Gateway.Admin;

/// <summary>One worker in the admin list.</summary>
internal sealed class AdminWorkerDocument
{
    public string Rest { get; set; } = "";

    public string Grpc { get; set; } = "";

    public bool Healthy { get; set; }

    public int InFlight { get; set; }
}
