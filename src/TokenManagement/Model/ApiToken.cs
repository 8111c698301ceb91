namespace TokenManagement;

/// <summary>
/// An API token as the service describes it. Never holds the token's value.
/// <para>
/// Only the module creates these, and nothing outside it can change them: a live <see cref="ApiToken"/> is what the
/// service said, read through <see cref="Connection"/>. Anything else that looks like a token (a hashtable, an
/// Import-Csv row, a deserialized object) is looked up by its id before a cmdlet acts on it.
/// </para>
/// </summary>
public class ApiToken
{
    internal ApiToken()
    {
    }

    public string Id { get; internal set; } = "";
    public string Name { get; internal set; } = "";
    public string UserId { get; internal set; } = "";
    public string AccountId { get; internal set; } = "";

    /// <summary>The first 6 characters of the value: not a secret, but enough to recognise a token.</summary>
    public string TokenPrefix { get; internal set; } = "";
    public ApiTokenStatus Status { get; internal set; }

    /// <summary>UTC.</summary>
    public DateTime CreatedDate { get; internal set; }

    /// <summary>UTC; null until the token is first used.</summary>
    public DateTime? LastUsedDate { get; internal set; }

    /// <summary>
    /// <see cref="CreatedDate"/> as ISO 8601 text (2026-11-27T18:00:00Z): Export-Csv writes a DateTime in the current
    /// culture's format, which another culture reads wrongly or not at all.
    /// </summary>
    public string CreatedUtc => ToIso8601(CreatedDate);

    /// <summary><see cref="LastUsedDate"/> as ISO 8601 text; null until the token is first used.</summary>
    public string? LastUsedUtc => LastUsedDate is { } used ? ToIso8601(used) : null;

    /// <summary>How long ago the token was created, from UTC now (never negative, whatever the clocks say).</summary>
    public TimeSpan Age => SinceNow(CreatedDate);

    /// <summary>
    /// Whole days since the last use; for a token never used, since its creation: it has been unused that long, so
    /// sorting by this puts it among the stale tokens, as -NotUsedSince does.
    /// </summary>
    public int DaysSinceLastUse => (int)SinceNow(LastUsedDate ?? CreatedDate).TotalDays;

    /// <summary>
    /// The connection the token was read through; Rename-, Enable-, Disable- and Remove-ApiToken act through it.
    /// Null only for a reference the module has not looked up yet (see <see cref="IsVerified"/>).
    /// </summary>
    public AtomSphereConnection? Connection { get; internal set; }

    /// <summary>How many tokens the listing that wrote this one has (numberOfResults), when exactly known: bulk progress shows it.</summary>
    internal long? ListingTotal { get; set; }

    /// <summary>Whether this object is what the service said (true), or only an id to look up (false).</summary>
    internal bool IsVerified => Connection is not null;

    public override string ToString() => Name;

    private static string ToIso8601(DateTime utc) =>
        utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static TimeSpan SinceNow(DateTime utc)
    {
        TimeSpan since = DateTime.UtcNow - utc;
        return since < TimeSpan.Zero ? TimeSpan.Zero : since;
    }
}
