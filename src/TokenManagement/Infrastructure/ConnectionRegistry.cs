namespace TokenManagement.Infrastructure;

/// <summary>
/// This session's connections (process-wide, thread-safe). The default is the newest connection, until it is closed:
/// then there is no default (no fallback to an older one).
/// </summary>
internal static class ConnectionRegistry
{
    private static readonly object s_sync = new();
    private static readonly List<AtomSphereConnection> s_connections = new();
    private static AtomSphereConnection? s_default;
    private static int s_lastId;

    /// <summary>The default connection, or null when there is none (never a closed one).</summary>
    public static AtomSphereConnection? Default
    {
        get
        {
            lock (s_sync)
            {
                return s_default is { State: AtomSphereConnectionState.Open } ? s_default : null;
            }
        }
    }

    public static IReadOnlyList<AtomSphereConnection> All
    {
        get
        {
            lock (s_sync)
            {
                return s_connections.ToArray();
            }
        }
    }

    /// <summary>Registers an open session as a new connection, which becomes the default.</summary>
    public static AtomSphereConnection Add(ConnectionSession session)
    {
        lock (s_sync)
        {
            var connection = new AtomSphereConnection(++s_lastId, session);
            s_connections.Add(connection);
            s_default = connection;
            return connection;
        }
    }

    public static bool IsDefault(AtomSphereConnection connection)
    {
        lock (s_sync)
        {
            return ReferenceEquals(s_default, connection) && connection.State == AtomSphereConnectionState.Open;
        }
    }

    /// <summary>Closes a connection; if it was the default there is no default any more.</summary>
    public static void Close(AtomSphereConnection connection)
    {
        lock (s_sync)
        {
            if (ReferenceEquals(s_default, connection))
            {
                s_default = null;
            }
        }

        connection.Session.Close();
    }

    /// <summary>Module removal: every connection closed and forgotten (ids keep counting).</summary>
    public static void CloseAll()
    {
        AtomSphereConnection[] all;
        lock (s_sync)
        {
            all = s_connections.ToArray();
            s_connections.Clear();
            s_default = null;
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
