using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;

namespace TokenManagement.Infrastructure;

/// <summary>
/// The connections of one runspace and its default: the newest one, or the one made default with
/// Select-AtomSphereConnection, until it is closed (then there is none: no silent fallback to another identity).
/// Thread-safe. A connection object itself works in any runspace (-Connection $using:c).
/// </summary>
internal sealed class ConnectionScope
{
    private readonly object _sync = new();
    private readonly List<AtomSphereConnection> _connections = new();
    private AtomSphereConnection? _default;

    /// <summary>The default connection, or null when there is none (never a closed one).</summary>
    public AtomSphereConnection? Default
    {
        get
        {
            lock (_sync)
            {
                return _default is { State: AtomSphereConnectionState.Open } ? _default : null;
            }
        }
    }

    public IReadOnlyList<AtomSphereConnection> All
    {
        get
        {
            lock (_sync)
            {
                return _connections.ToArray();
            }
        }
    }

    /// <summary>Registers an open session as a new connection, which becomes the default.</summary>
    public AtomSphereConnection Add(ConnectionSession session)
    {
        var connection = new AtomSphereConnection(ConnectionRegistry.NextId(), session);
        lock (_sync)
        {
            _connections.Add(connection);
            _default = connection;
        }

        return connection;
    }

    public bool IsDefault(AtomSphereConnection connection)
    {
        lock (_sync)
        {
            return ReferenceEquals(_default, connection) && connection.State == AtomSphereConnectionState.Open;
        }
    }

    /// <summary>Makes an open connection the default (one from another runspace joins this one's list).</summary>
    public void SetDefault(AtomSphereConnection connection)
    {
        lock (_sync)
        {
            if (!_connections.Contains(connection))
            {
                _connections.Add(connection);
            }

            _default = connection;
        }
    }

    /// <summary>Closes a connection; if it was the default there is no default any more.</summary>
    public void Close(AtomSphereConnection connection)
    {
        lock (_sync)
        {
            if (ReferenceEquals(_default, connection))
            {
                _default = null;
            }
        }

        connection.Session.Close();
    }

    /// <summary>The module leaves this runspace: its connections are closed and forgotten (ids keep counting).</summary>
    public void CloseAll()
    {
        AtomSphereConnection[] all;
        lock (_sync)
        {
            all = _connections.ToArray();
            _connections.Clear();
            _default = null;
        }

        foreach (AtomSphereConnection connection in all)
        {
            try
            {
                connection.Session.Close();
            }
            catch (Exception)
            {
                // Best effort while the module goes away.
            }
        }
    }
}

/// <summary>
/// Each runspace's <see cref="ConnectionScope"/>. Removing or re-importing the module in one runspace closes only
/// that runspace's connections. Read <see cref="Current"/> on the pipeline thread: the runspace is thread-bound.
/// </summary>
internal static class ConnectionRegistry
{
    private static readonly ConditionalWeakTable<Runspace, ConnectionScope> s_scopes = new();
    private static readonly ConnectionScope s_noRunspace = new();
    private static int s_lastId;

    /// <summary>The scope of the runspace running on this thread.</summary>
    public static ConnectionScope Current =>
        Runspace.DefaultRunspace is { } runspace ? s_scopes.GetValue(runspace, static _ => new ConnectionScope()) : s_noRunspace;

    /// <summary>1, 2, 3... across the process, so that an id names one connection wherever it is used.</summary>
    internal static int NextId() => Interlocked.Increment(ref s_lastId);
}
