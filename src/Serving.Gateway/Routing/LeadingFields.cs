namespace Serving.Gateway.Routing;

/// <summary>The outcome of <see cref="GrpcLeadingFields.Parse"/>.</summary>
internal readonly record struct LeadingFields(LeadingFieldsStatus Status, string? Error, uint MessageLength)
{
    public static LeadingFields NeedMoreData => new(LeadingFieldsStatus.NeedMoreData, null, 0);

    /// <summary>model_name, when present.</summary>
    public FieldRange? Name { get; init; }

    /// <summary>model_version, when present.</summary>
    public FieldRange? Version { get; init; }

    public static LeadingFields Invalid(string error) => new(LeadingFieldsStatus.Invalid, error, 0);

    public static LeadingFields UnsupportedEncoding(string error) => new(LeadingFieldsStatus.UnsupportedEncoding, error, 0);
}
