using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>What a connection holds behind its public face: the client (and with it the credential).</summary>
internal sealed class ConnectionSession
{
    private readonly object _sync = new();
    private Api.AtomSphereClient _client;
    private string _tokenPrefix;
    private string? _ownTokenId;
    private int _closed;

    public ConnectionSession(Api.AtomSphereClient client, string accountId, string userId, Uri root, string tokenPrefix, string? ownTokenId, bool? isAdministrator = null)
    {
        IsAdministrator = isAdministrator;
        _client = client;
        AccountId = accountId;
        UserId = userId;
        Root = root;
        _tokenPrefix = tokenPrefix;
        _ownTokenId = ownTokenId;
    }

    public Api.AtomSphereClient Client => Volatile.Read(ref _client);
    public string AccountId { get; }
    public string UserId { get; }
    public Uri Root { get; }
    public string TokenPrefix => Volatile.Read(ref _tokenPrefix);

    /// <summary>The id of the token this connection authenticates with (null if the service did not show it).</summary>
    public string? OwnTokenId => Volatile.Read(ref _ownTokenId);

    /// <summary>
    /// Whether the user has Account Administration (sees and may act on every user's tokens), as the account check
    /// said when connecting; null when the service did not say.
    /// </summary>
    public bool? IsAdministrator { get; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public bool IsOwnToken(string? tokenId) =>
        OwnTokenId is not null && string.Equals(OwnTokenId, tokenId, StringComparison.Ordinal);

    /// <summary>
    /// The connection goes on with another token of the same user (a rotation of its own token): the same connection
    /// object and id, a client that authenticates with the new value. The old client is disposed.
    /// </summary>
    public void SwitchCredential(Api.AtomSphereClient client, string tokenPrefix, string ownTokenId)
    {
        Api.AtomSphereClient old;
        lock (_sync)
        {
            if (IsClosed)
            {
                throw new InvalidOperationException("The connection is closed.");
            }

            old = _client;
            Volatile.Write(ref _tokenPrefix, tokenPrefix);
            Volatile.Write(ref _ownTokenId, ownTokenId);
            Volatile.Write(ref _client, client);
        }

        old.Dispose();
    }

    /// <summary>Closes once: the client (and the credential it holds) is disposed.</summary>
    public void Close()
    {
        lock (_sync)
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                _client.Dispose();
            }
        }
    }
}
