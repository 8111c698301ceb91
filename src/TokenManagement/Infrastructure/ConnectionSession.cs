using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>What a connection holds behind its public face: the client (and with it the credential).</summary>
internal sealed class ConnectionSession
{
    private int _closed;

    public ConnectionSession(Api.AtomSphereClient client, string accountId, string userId, Uri root, string tokenPrefix, string? ownTokenId, bool? isAdministrator = null)
    {
        IsAdministrator = isAdministrator;
        Client = client;
        AccountId = accountId;
        UserId = userId;
        Root = root;
        TokenPrefix = tokenPrefix;
        OwnTokenId = ownTokenId;
    }

    public Api.AtomSphereClient Client { get; }
    public string AccountId { get; }
    public string UserId { get; }
    public Uri Root { get; }
    public string TokenPrefix { get; }

    /// <summary>The id of the token this connection authenticates with (null if the service did not show it).</summary>
    public string? OwnTokenId { get; }

    /// <summary>
    /// Whether the user has Account Administration (sees and may act on every user's tokens), as the account check
    /// said when connecting; null when the service did not say.
    /// </summary>
    public bool? IsAdministrator { get; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public bool IsOwnToken(string? tokenId) =>
        OwnTokenId is not null && string.Equals(OwnTokenId, tokenId, StringComparison.Ordinal);

    /// <summary>Closes once: the client (and the credential it holds) is disposed.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Client.Dispose();
        }
    }
}
