namespace TokenManagement;

/// <summary>Whether an API token can authenticate.</summary>
public enum ApiTokenStatus
{
    Enabled,
    Disabled,

    /// <summary>
    /// Revoked by Remove-ApiToken: the service deletes a revoked token, so only Remove-ApiToken -PassThru writes this
    /// status; no listing has it.
    /// </summary>
    Revoked,
}
