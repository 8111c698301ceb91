namespace TokenManagement;

/// <summary>An API token as the service describes it. Never holds the token's value.</summary>
public class ApiToken
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string UserId { get; set; } = "";
    public string AccountId { get; set; } = "";

    /// <summary>The first 6 characters of the value: not a secret, but enough to recognise a token.</summary>
    public string TokenPrefix { get; set; } = "";
    public ApiTokenStatus Status { get; set; }

    /// <summary>UTC.</summary>
    public DateTime CreatedDate { get; set; }

    /// <summary>UTC; null until the token is first used.</summary>
    public DateTime? LastUsedDate { get; set; }

    public override string ToString() => Name;
}
