using Serving.Gateway.Traffic;

namespace Serving.Gateway.Admin;

/// <summary><c>GET /admin/models/{m}/policy/history</c>.</summary>
internal sealed class AdminHistoryDocument
{
    public List<PolicyChangeDocument> Changes { get; set; } = [];
}
