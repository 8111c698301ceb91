namespace TokenManagement;

/// <summary>Whether an API token can authenticate.</summary>
public enum ApiTokenStatus
{
    Enabled,
    Disabled,
}
