namespace TokenManagement;

/// <summary>
/// One entry of the account's audit log: an action on an API token, who took it and how it ended. Never holds a
/// token value (the prefix is the most of one it shows).
/// <para>Only the module creates these, and nothing outside it can change them: an entry is what the service recorded.</para>
/// </summary>
public class AuditLogEntry
{
    internal AuditLogEntry()
    {
    }

    public string Id { get; internal set; } = "";
    public string AccountId { get; internal set; } = "";

    /// <summary>When the action was taken; UTC.</summary>
    public DateTime Date { get; internal set; }

    /// <summary>The acting user.</summary>
    public string UserId { get; internal set; } = "";

    /// <summary>The token's owner.</summary>
    public string OwnerUserId { get; internal set; } = "";
    public AuditLogAction Action { get; internal set; }
    public string TokenId { get; internal set; } = "";

    /// <summary>The token's name when the action was taken (for a rename, the name before it).</summary>
    public string TokenName { get; internal set; } = "";

    /// <summary>Only for <see cref="AuditLogAction.Rename"/>: the name asked for; otherwise null.</summary>
    public string? NewTokenName { get; internal set; }

    /// <summary>The first 6 characters of the token's value: not a secret.</summary>
    public string TokenPrefix { get; internal set; } = "";

    /// <summary>User: the owner acted; Administrator: an administrator acted on another user's token.</summary>
    public AuditLogLevel Level { get; internal set; }

    /// <summary>Where the action came from: API.</summary>
    public string Source { get; internal set; } = "";
    public AuditLogOutcome Outcome { get; internal set; }

    public override string ToString() =>
        $"{Date.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)} {Action} '{TokenName}' by {UserId}: {Outcome}";
}
