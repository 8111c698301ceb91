namespace TokenManagement;

/// <summary>The actions the audit log records (the service's CREATE, RENAME, DISABLE, ENABLE, REVOKE).</summary>
public enum AuditLogAction
{
    Create,
    Rename,
    Disable,
    Enable,
    Revoke,
}

/// <summary>Who acted on whose token: the owner (User), or an administrator on another user's token (Administrator).</summary>
public enum AuditLogLevel
{
    User,
    Administrator,
}

/// <summary>How an action ended: done, or refused (and why).</summary>
public enum AuditLogOutcome
{
    Success,
    Forbidden,
    NameConflict,
}
