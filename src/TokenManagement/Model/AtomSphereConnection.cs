using TokenManagement.Infrastructure;

namespace TokenManagement;

/// <summary>Whether a connection can still be used.</summary>
public enum AtomSphereConnectionState
{
    Open,
    Closed,
}

/// <summary>
/// One Connect-AtomSphere. Deliberately has no member that holds or shows the token value: the credential lives only
/// inside the (internal) client.
/// </summary>
public sealed class AtomSphereConnection
{
    internal AtomSphereConnection(int id, ConnectionSession session)
    {
        Id = id;
        Session = session;
        ConnectedAt = DateTime.UtcNow;
    }

    /// <summary>1, 2, 3... in the order of Connect-AtomSphere calls in this process.</summary>
    public int Id { get; }
    public string AccountId => Session.AccountId;
    public string UserId => Session.UserId;

    /// <summary>The root of the API, e.g. https://api.boomi.com.</summary>
    public Uri Uri => Session.Root;

    /// <summary>The first 6 characters of the token (not secret).</summary>
    public string TokenPrefix => Session.TokenPrefix;

    /// <summary>UTC.</summary>
    public DateTime ConnectedAt { get; }

    /// <summary>Whether this is the default connection of the runspace reading it.</summary>
    public bool IsDefault => ConnectionRegistry.Current.IsDefault(this);
    public AtomSphereConnectionState State => Session.IsClosed ? AtomSphereConnectionState.Closed : AtomSphereConnectionState.Open;

    internal ConnectionSession Session { get; }

    public override string ToString() => $"#{Id} {UserId} @ {AccountId} ({Uri})";
}
