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
    /// The connection the token was read through; Rename-, Enable-, Disable- and Remove-ApiToken act through it.
    /// Null only for a reference the module has not looked up yet (see <see cref="IsVerified"/>).
    /// </summary>
    public AtomSphereConnection? Connection { get; internal set; }

    /// <summary>How many tokens the listing that wrote this one has (numberOfResults), when exactly known: bulk progress shows it.</summary>
    internal long? ListingTotal { get; set; }

    /// <summary>Whether this object is what the service said (true), or only an id to look up (false).</summary>
    internal bool IsVerified => Connection is not null;

    public override string ToString() => Name;
}
