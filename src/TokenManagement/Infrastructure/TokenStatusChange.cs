namespace TokenManagement.Infrastructure;

/// <summary>Enable's and Disable's request, through the token's own connection.</summary>
internal static class TokenStatusChange
{
    public static async Task<ApiToken> ApplyAsync(ApiToken token, ApiTokenStatus status, CancellationToken cancellationToken)
    {
        AtomSphereConnection connection = token.Connection!;
        return ApiTokenMapper.ToPublic(
            await connection.Session.Client.UpdateTokenAsync(token.Id, null, ApiTokenMapper.ToClient(status), cancellationToken).ConfigureAwait(false),
            connection);
    }
}
