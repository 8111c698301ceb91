using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>Client models to the PowerShell-facing types (tokens, audit entries), and how a token is named to a person.</summary>
internal static class ApiTokenMapper
{
    /// <summary>The token as the service described it through <paramref name="connection"/>, which it remembers.</summary>
    public static ApiToken ToPublic(Api.ApiToken token, AtomSphereConnection connection) => Fill(new ApiToken(), token, connection);

    public static CreatedApiToken ToPublic(Api.CreatedApiToken created, AtomSphereConnection connection, bool asPlainText)
    {
        CreatedApiToken result = Fill(new CreatedApiToken(), created.Token, connection);
        result.Token = asPlainText ? SecureStrings.ToPlainText(created.Value) : created.Value;
        return result;
    }

    /// <summary>The token as it is after Remove-ApiToken: what was read, with Status Revoked (the piped object is not changed).</summary>
    public static ApiToken Revoked(ApiToken token)
    {
        var revoked = Copy(token, new ApiToken());
        revoked.Status = ApiTokenStatus.Revoked;
        return revoked;
    }

    private static ApiToken Copy(ApiToken source, ApiToken target)
    {
        target.Id = source.Id;
        target.Name = source.Name;
        target.UserId = source.UserId;
        target.AccountId = source.AccountId;
        target.TokenPrefix = source.TokenPrefix;
        target.Status = source.Status;
        target.CreatedDate = source.CreatedDate;
        target.LastUsedDate = source.LastUsedDate;
        target.Connection = source.Connection;
        return target;
    }

    /// <summary>An audit entry as the service recorded it.</summary>
    public static AuditLogEntry ToPublic(Api.AuditLogEntry entry) => new()
    {
        Id = entry.Id,
        AccountId = entry.AccountId,
        Date = entry.Date.UtcDateTime,
        UserId = entry.UserId,
        OwnerUserId = entry.OwnerUserId,
        // The client's enums and the module's have the same names: the module's own types keep the client out of the surface.
        Action = (AuditLogAction)Enum.Parse(typeof(AuditLogAction), entry.Action.ToString()),
        TokenId = entry.TokenId,
        TokenName = entry.TokenName,
        NewTokenName = entry.NewTokenName,
        TokenPrefix = entry.TokenPrefix,
        Level = (AuditLogLevel)Enum.Parse(typeof(AuditLogLevel), entry.Level.ToString()),
        Source = entry.Source,
        Outcome = (AuditLogOutcome)Enum.Parse(typeof(AuditLogOutcome), entry.Outcome.ToString()),
    };

    /// <summary>The ShouldProcess / message target: name, id and user, never the value.</summary>
    public static string Describe(ApiToken token) => $"'{token.Name}' (id {token.Id}, user {token.UserId})";

    private static T Fill<T>(T target, Api.ApiToken source, AtomSphereConnection connection)
        where T : ApiToken
    {
        target.Id = source.Id;
        target.Name = source.Name;
        target.UserId = source.UserId;
        target.AccountId = source.AccountId;
        target.TokenPrefix = source.TokenPrefix;
        target.Status = ToPublic(source.Status);
        target.CreatedDate = source.CreatedDate.UtcDateTime;
        target.LastUsedDate = source.LastUsedDate?.UtcDateTime;
        target.Connection = connection;
        return target;
    }

    public static ApiTokenStatus ToPublic(Api.ApiTokenStatus status) =>
        status == Api.ApiTokenStatus.Disabled ? ApiTokenStatus.Disabled : ApiTokenStatus.Enabled;

    /// <summary>A status to set (Enable, Disable); Revoked is no status to set but Remove-ApiToken's request.</summary>
    public static Api.ApiTokenStatus ToClient(ApiTokenStatus status) => status switch
    {
        ApiTokenStatus.Enabled => Api.ApiTokenStatus.Enabled,
        ApiTokenStatus.Disabled => Api.ApiTokenStatus.Disabled,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Only Enabled and Disabled can be set."),
    };
}
