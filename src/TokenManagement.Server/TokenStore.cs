using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace TokenManagement.Server;

/// <summary>
/// The SQLite store: one file, WAL mode, parameterised SQL only. Token values are never stored,
/// only their SHA-256 hash and their 6-character prefix.
/// </summary>
public sealed class TokenStore
{
    private readonly string _connectionString;

    public TokenStore(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    private const string Columns = "id, account_id, user_id, name, token_prefix, status, created_date, last_used_date";

    public void Initialize()
    {
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS users (
                account_id TEXT NOT NULL REFERENCES accounts(account_id),
                user_key TEXT NOT NULL,
                user_id TEXT NOT NULL,
                is_admin INTEGER NOT NULL,
                api_access INTEGER NOT NULL,
                PRIMARY KEY (account_id, user_key));
            CREATE TABLE IF NOT EXISTS tokens (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL,
                user_key TEXT NOT NULL,
                user_id TEXT NOT NULL,
                name TEXT NOT NULL,
                name_key TEXT NOT NULL,
                token_prefix TEXT NOT NULL,
                token_hash BLOB NOT NULL UNIQUE,
                status TEXT NOT NULL,
                created_date INTEGER NOT NULL,
                last_used_date INTEGER,
                FOREIGN KEY (account_id, user_key) REFERENCES users(account_id, user_key));
            CREATE UNIQUE INDEX IF NOT EXISTS ux_tokens_user_name ON tokens (account_id, user_key, name_key);
            CREATE INDEX IF NOT EXISTS ix_tokens_account_order ON tokens (account_id, created_date, id);
            -- Covering indexes for value lookups: authentication and the leaked-value search read nothing but these,
            -- so a value that exists (disabled, another user's) costs what a value that never existed costs.
            CREATE INDEX IF NOT EXISTS ix_tokens_credential ON tokens (token_hash, account_id, user_key, id, status, last_used_date);
            CREATE INDEX IF NOT EXISTS ix_users_credential ON users (account_id, user_key, user_id, is_admin, api_access);
            -- The audit log: one row per token action, appended in the action's own transaction. seq orders entries
            -- written in the same second; the triggers make the table append-only for every writer of the file.
            CREATE TABLE IF NOT EXISTS audit_log (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                account_id TEXT NOT NULL,
                date INTEGER NOT NULL,
                actor_key TEXT NOT NULL,
                actor_id TEXT NOT NULL,
                owner_key TEXT NOT NULL,
                owner_id TEXT NOT NULL,
                action TEXT NOT NULL,
                token_id TEXT NOT NULL,
                token_name TEXT NOT NULL,
                new_token_name TEXT,
                token_prefix TEXT NOT NULL,
                level TEXT NOT NULL,
                source TEXT NOT NULL,
                outcome TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_audit_account_order ON audit_log (account_id, date, seq);
            CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
            """ + AuditNoUpdateTrigger);
        RekeyIfTheRuleChanged(connection);
    }

    private const string AuditNoUpdateTrigger =
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;";

    /// <summary>
    /// Keys (name_key, user_key) are <see cref="Names.Key"/> of the name and user id. A database keyed by another
    /// rule (an older server's lowercasing) is re-keyed once, in one transaction. Names that the new rule makes equal
    /// for one user cannot both stay: then the server refuses to start and says which tokens they are.
    /// </summary>
    private static void RekeyIfTheRuleChanged(SqliteConnection connection)
    {
        using var tx = connection.BeginTransaction(deferred: false);
        using (var rule = Command(connection, "SELECT value FROM meta WHERE key = 'key-rule'", tx))
        {
            if (rule.ExecuteScalar() is byte[] stored && System.Text.Encoding.UTF8.GetString(stored) == Names.KeyRule) { return; }
        }
        // users.user_key is referenced by tokens: the check waits for the commit, when both sides carry the new key.
        Execute(connection, "PRAGMA defer_foreign_keys = ON", tx);
        Rekey(connection, tx, "SELECT rowid, user_id FROM users", "UPDATE users SET user_key = $k1 WHERE rowid = $row", "user");
        Rekey(connection, tx, "SELECT rowid, user_id, name FROM tokens", "UPDATE tokens SET user_key = $k1, name_key = $k2 WHERE rowid = $row", "token");
        // The audit log's user keys follow the rule too: the one change its entries ever get, with the append-only
        // trigger lifted inside this transaction only.
        Execute(connection, "DROP TRIGGER IF EXISTS audit_log_no_update", tx);
        Rekey(connection, tx, "SELECT seq, actor_id, owner_id FROM audit_log", "UPDATE audit_log SET actor_key = $k1, owner_key = $k2 WHERE seq = $row", "audit entry");
        Execute(connection, AuditNoUpdateTrigger, tx);
        using (var record = Command(connection, "INSERT INTO meta (key, value) VALUES ('key-rule', $v) ON CONFLICT (key) DO UPDATE SET value = $v", tx))
        {
            record.Parameters.AddWithValue("$v", System.Text.Encoding.UTF8.GetBytes(Names.KeyRule));
            record.ExecuteNonQuery();
        }
        tx.Commit();
    }

    private static void Rekey(SqliteConnection connection, SqliteTransaction tx, string select, string update, string what)
    {
        var rows = new List<(long Row, string[] Values)>();
        using (var read = Command(connection, select, tx))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read()) { rows.Add((reader.GetInt64(0), Enumerable.Range(1, reader.FieldCount - 1).Select(reader.GetString).ToArray())); }
        }
        using var write = Command(connection, update, tx);
        foreach (var (row, values) in rows)
        {
            write.Parameters.Clear();
            write.Parameters.AddWithValue("$row", row);
            for (var i = 0; i < values.Length; i++) { write.Parameters.AddWithValue($"$k{i + 1}", Names.Key(values[i])); }
            try { write.ExecuteNonQuery(); }
            catch (SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: a unique key now collides
            {
                throw new InvalidOperationException(
                    $"The database holds a {what} ({string.Join(", ", values.Select(ApiError.Echo))}) that the name rule of this server "
                    + "makes equal to another of the same user. Rename or revoke one of them with the server version that created them, "
                    + "or start with a new database.", e);
            }
        }
    }

    /// <summary>The key that signs queryTokens; kept in the database so tokens survive a restart.</summary>
    public byte[] GetOrCreateSigningKey()
    {
        using var connection = Open();
        using var select = Command(connection, "SELECT value FROM meta WHERE key = 'query-token-key'");
        if (select.ExecuteScalar() is byte[] existing) { return existing; }
        var key = RandomNumberGenerator.GetBytes(32);
        using var insert = Command(connection, "INSERT OR IGNORE INTO meta (key, value) VALUES ('query-token-key', $v)");
        insert.Parameters.AddWithValue("$v", key);
        insert.ExecuteNonQuery();
        return (byte[])select.ExecuteScalar()!;
    }

    public void EnsureUser(string accountId, string userId, bool isAdmin, bool apiAccess)
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction();
        EnsureUser(connection, tx, accountId, userId, isAdmin, apiAccess);
        tx.Commit();
    }

    private static void EnsureUser(SqliteConnection connection, SqliteTransaction tx, string accountId, string userId, bool isAdmin, bool apiAccess)
    {
        using var account = Command(connection, "INSERT OR IGNORE INTO accounts (account_id, name) VALUES ($a, $a)", tx);
        account.Parameters.AddWithValue("$a", accountId);
        account.ExecuteNonQuery();
        using var user = Command(connection, """
            INSERT INTO users (account_id, user_key, user_id, is_admin, api_access) VALUES ($a, $k, $u, $admin, $access)
            ON CONFLICT (account_id, user_key) DO UPDATE SET is_admin = $admin, api_access = $access
            """, tx);
        user.Parameters.AddWithValue("$a", accountId);
        user.Parameters.AddWithValue("$k", Names.Key(userId));
        user.Parameters.AddWithValue("$u", userId);
        user.Parameters.AddWithValue("$admin", isAdmin ? 1 : 0);
        user.Parameters.AddWithValue("$access", apiAccess ? 1 : 0);
        user.ExecuteNonQuery();
    }

    public string? GetAccountName(string accountId)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT name FROM accounts WHERE account_id = $a");
        command.Parameters.AddWithValue("$a", accountId);
        return command.ExecuteScalar() as string;
    }

    /// <summary>
    /// One statement that yields exactly one row for any value: the LEFT JOINs from a one-row source make a missing
    /// token a row of defaults, and the user probe runs with the claimed key when there is no token, so both probes
    /// happen every time. INDEXED BY pins the covering indexes (the statement fails rather than silently read the table).
    /// </summary>
    internal const string CredentialLookupSql = """
        SELECT t.token_hash IS NOT NULL, coalesce(t.id, ''), coalesce(t.user_key, ''), coalesce(t.status, ''), coalesce(t.last_used_date, -1),
               coalesce(t.account_id, ''), coalesce(u.user_id, ''), coalesce(u.is_admin, 0), coalesce(u.api_access, 0)
        FROM (SELECT $h AS hash) AS wanted
        LEFT JOIN tokens AS t INDEXED BY ix_tokens_credential ON t.token_hash = wanted.hash
        LEFT JOIN users AS u INDEXED BY ix_users_credential ON u.account_id = coalesce(t.account_id, '') AND u.user_key = coalesce(t.user_key, $claimed)
        """;

    internal sealed record CredentialRow(bool Exists, string TokenId, string UserKey, string Status, long LastUsed, string AccountId, string UserId, bool IsAdmin, bool HasApiAccess);

    internal CredentialRow ReadCredential(byte[] hash, string claimedUserKey)
    {
        using var connection = Open();
        return ReadCredential(connection, hash, claimedUserKey);
    }

    private static CredentialRow ReadCredential(SqliteConnection connection, byte[] hash, string claimedUserKey)
    {
        using var command = Command(connection, CredentialLookupSql);
        command.Parameters.AddWithValue("$h", hash);
        command.Parameters.AddWithValue("$claimed", claimedUserKey);
        using var reader = command.ExecuteReader();
        reader.Read();
        return new CredentialRow(reader.GetInt64(0) != 0, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
            reader.GetString(5), reader.GetString(6), reader.GetInt64(7) != 0, reader.GetInt64(8) != 0);
    }

    /// <summary>
    /// The caller behind a user id and token value, or null for any failure (one answer for all: no hint which part was
    /// wrong, and the same work for each: see <see cref="CredentialLookupSql"/>). Records lastUsedDate at most once a
    /// minute per token.
    /// </summary>
    public Caller? Authenticate(string userId, string tokenValue, DateTimeOffset now)
    {
        var hash = Secrets.Hash(tokenValue);
        var claimedKey = Names.Key(userId);
        using var connection = Open();
        var row = ReadCredential(connection, hash, claimedKey);
        // Non-short-circuit: every check runs whatever the first one said.
        var userMatches = CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(row.UserKey), System.Text.Encoding.UTF8.GetBytes(claimedKey));
        if (!(row.Exists & userMatches & row.Status == TokenStatus.Enabled)) { return null; }
        var caller = new Caller(row.AccountId, row.UserId, row.IsAdmin, row.HasApiAccess, row.TokenId);
        var nowSeconds = now.ToUnixTimeSeconds();
        if (row.LastUsed < 0 || nowSeconds - row.LastUsed >= 60)
        {
            using var touch = Command(connection, "UPDATE tokens SET last_used_date = $now WHERE id = $id");
            touch.Parameters.AddWithValue("$now", nowSeconds);
            touch.Parameters.AddWithValue("$id", caller.TokenId);
            touch.ExecuteNonQuery();
        }
        return caller;
    }

    /// <summary>Tests only: SQLite's plan for the credential lookup.</summary>
    internal IReadOnlyList<string> ExplainCredentialLookup()
    {
        using var connection = Open();
        using var command = Command(connection, "EXPLAIN QUERY PLAN " + CredentialLookupSql);
        command.Parameters.AddWithValue("$h", new byte[32]);
        command.Parameters.AddWithValue("$claimed", "x");
        return ReadPlan(command);
    }

    /// <summary>Tests only: SQLite's plans for the two statements of <see cref="FirstPage(Caller, SqlFilter, int)"/>.</summary>
    internal IReadOnlyList<string> ExplainFirstPage(Caller caller, SqlFilter filter)
    {
        using var connection = Open();
        var plan = new List<string>();
        foreach (var sql in new[] { CountSql(Tokens, filter), PageSql(Tokens, filter, after: false) })
        {
            using var command = Command(connection, "EXPLAIN QUERY PLAN " + sql);
            AddVisibility(command, caller);
            filter.AddParameters(command);
            command.Parameters.AddWithValue("$limit", 1);
            plan.AddRange(ReadPlan(command));
        }
        return plan;
    }

    private static List<string> ReadPlan(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var steps = new List<string>();
        while (reader.Read()) { steps.Add(reader.GetString(3)); }
        return steps;
    }

    /// <summary>Creates a token for the user; the limit check and the insert are one transaction.</summary>
    public (TokenRecord Token, string Value) Create(string accountId, string userId, string name, int maxTokensPerUser, DateTimeOffset now)
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        var (token, value) = Insert(connection, tx, accountId, userId, name, maxTokensPerUser, now.ToUnixTimeSeconds(), null);
        Append(connection, tx, Entry(userId, token, AuditValues.Create, null, AuditValues.Success, now));
        tx.Commit();
        return (token, value);
    }

    /// <summary>
    /// For add-user: the account and user are created if missing, then given a token (no limit: it bootstraps). Not an
    /// API action, so no audit entry (docs/api.md, The AuditLog object).
    /// </summary>
    public (TokenRecord Token, string Value) AddUserWithToken(string accountId, string userId, bool isAdmin, bool apiAccess, string tokenName, DateTimeOffset now)
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        EnsureUser(connection, tx, accountId, userId, isAdmin, apiAccess);
        var result = Insert(connection, tx, accountId, userId, tokenName, int.MaxValue, now.ToUnixTimeSeconds(), null);
        tx.Commit();
        return result;
    }

    /// <summary>Bulk data for demos and benchmarks, in one transaction with one prepared statement.</summary>
    public int Seed(string accountId, int users, int tokensPerUser, DateTimeOffset now, int randomSeed = 42)
    {
        var random = new Random(randomSeed);
        var nowSeconds = now.ToUnixTimeSeconds();
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        using var insert = Command(connection, """
            INSERT INTO tokens (id, account_id, user_key, user_id, name, name_key, token_prefix, token_hash, status, created_date, last_used_date)
            VALUES ($id, $a, $uk, $u, $n, $nk, $p, $h, $s, $c, $l)
            """, tx);
        var parameters = new[] { "$id", "$a", "$uk", "$u", "$n", "$nk", "$p", "$h", "$s", "$c", "$l" }
            .Select(p => insert.Parameters.Add(p, SqliteType.Text)).ToArray();
        insert.Prepare();
        var count = 0;
        for (var u = 1; u <= users; u++)
        {
            var userId = $"user{u:D5}@{accountId.ToLowerInvariant()}.example";
            EnsureUser(connection, tx, accountId, userId, isAdmin: false, apiAccess: true);
            for (var k = 1; k <= tokensPerUser; k++)
            {
                var value = Secrets.NewTokenValue();
                var created = nowSeconds - random.NextInt64(86_400, 400L * 86_400);
                long? lastUsed = random.Next(3) == 0 ? null : random.NextInt64(created, nowSeconds);
                var name = $"seed-{k:D3}";
                object[] values =
                [
                    Secrets.NewId(), accountId, Names.Key(userId), userId, name, Names.Key(name), Secrets.Prefix(value),
                    Secrets.Hash(value), random.Next(10) == 0 ? TokenStatus.Disabled : TokenStatus.Enabled, created,
                    lastUsed is null ? DBNull.Value : lastUsed.Value,
                ];
                for (var i = 0; i < values.Length; i++) { parameters[i].Value = values[i]; }
                insert.ExecuteNonQuery();
                count++;
            }
        }
        tx.Commit();
        return count;
    }

    private static (TokenRecord, string) Insert(SqliteConnection connection, SqliteTransaction tx, string accountId, string userId, string name, int maxTokensPerUser, long now, long? lastUsed)
    {
        var userKey = Names.Key(userId);
        using (var exists = Command(connection, "SELECT 1 FROM tokens WHERE account_id = $a AND user_key = $u AND name_key = $n", tx))
        {
            exists.Parameters.AddWithValue("$a", accountId);
            exists.Parameters.AddWithValue("$u", userKey);
            exists.Parameters.AddWithValue("$n", Names.Key(name));
            if (exists.ExecuteScalar() is not null) { throw ApiError.NameConflict(name); }
        }
        using (var count = Command(connection, "SELECT COUNT(*) FROM tokens WHERE account_id = $a AND user_key = $u", tx))
        {
            count.Parameters.AddWithValue("$a", accountId);
            count.Parameters.AddWithValue("$u", userKey);
            if ((long)count.ExecuteScalar()! >= maxTokensPerUser) { throw ApiError.TokenLimitReached(maxTokensPerUser); }
        }
        var value = Secrets.NewTokenValue();
        var record = new TokenRecord(Secrets.NewId(), accountId, userId, name, Secrets.Prefix(value), TokenStatus.Enabled, now, lastUsed);
        using var insert = Command(connection, """
            INSERT INTO tokens (id, account_id, user_key, user_id, name, name_key, token_prefix, token_hash, status, created_date, last_used_date)
            VALUES ($id, $a, $uk, $u, $n, $nk, $p, $h, $s, $c, NULL)
            """, tx);
        insert.Parameters.AddWithValue("$id", record.Id);
        insert.Parameters.AddWithValue("$a", accountId);
        insert.Parameters.AddWithValue("$uk", userKey);
        insert.Parameters.AddWithValue("$u", userId);
        insert.Parameters.AddWithValue("$n", name);
        insert.Parameters.AddWithValue("$nk", Names.Key(name));
        insert.Parameters.AddWithValue("$p", record.TokenPrefix);
        insert.Parameters.AddWithValue("$h", Secrets.Hash(value));
        insert.Parameters.AddWithValue("$s", record.Status);
        insert.Parameters.AddWithValue("$c", now);
        insert.ExecuteNonQuery();
        return (record, value);
    }

    /// <summary>The token if the caller may see it: their own, or any of the account's for an administrator.</summary>
    public TokenRecord? GetVisible(Caller caller, string id)
    {
        using var connection = Open();
        return GetVisible(connection, null, caller, id);
    }

    private static TokenRecord? GetVisible(SqliteConnection connection, SqliteTransaction? tx, Caller caller, string id)
    {
        using var command = Command(connection, $"SELECT {Columns} FROM tokens WHERE id = $id AND account_id = $a AND ($admin OR user_key = $me)", tx);
        command.Parameters.AddWithValue("$id", id);
        AddVisibility(command, caller);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadToken(reader) : null;
    }

    public IReadOnlyList<TokenRecord> GetVisible(Caller caller, IReadOnlyList<string> ids)
    {
        using var connection = Open();
        return ids.Select(id => GetVisible(connection, null, caller, id)).Where(t => t is not null).ToList()!;
    }

    /// <summary>
    /// Renames and/or changes the status. Renaming stays with the owner; status changes with the owner or an administrator.
    /// Each requested change is one audit entry in the same transaction; a refusal (Forbidden, NameConflict) of a token the
    /// caller can see is recorded too, with everything else unchanged.
    /// </summary>
    public TokenRecord Update(Caller caller, string id, string? newName, string? newStatus, DateTimeOffset now)
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        var token = GetVisible(connection, tx, caller, id) ?? throw ApiError.TokenNotFound(id);
        try
        {
            CheckUpdate(connection, tx, caller, token, newName);
        }
        catch (ApiError refused) when (AuditValues.OutcomeOf(refused) is { } outcome)
        {
            AppendUpdate(connection, tx, caller, token, newName, newStatus, outcome, now);
            tx.Commit();
            throw;
        }
        var updated = token with { Name = newName ?? token.Name, Status = newStatus ?? token.Status };
        using var update = Command(connection, "UPDATE tokens SET name = $n, name_key = $nk, status = $s WHERE id = $id", tx);
        update.Parameters.AddWithValue("$n", updated.Name);
        update.Parameters.AddWithValue("$nk", Names.Key(updated.Name));
        update.Parameters.AddWithValue("$s", updated.Status);
        update.Parameters.AddWithValue("$id", id);
        update.ExecuteNonQuery();
        AppendUpdate(connection, tx, caller, token, newName, newStatus, AuditValues.Success, now);
        tx.Commit();
        return updated;
    }

    private static void CheckUpdate(SqliteConnection connection, SqliteTransaction tx, Caller caller, TokenRecord token, string? newName)
    {
        var isOwner = Names.Key(token.UserId) == caller.UserKey;
        if (newName is not null && !isOwner)
        {
            throw ApiError.Forbidden("Only the token's owner can rename it.");
        }
        if (newName is not null && Names.Key(newName) != Names.Key(token.Name))
        {
            using var exists = Command(connection, "SELECT 1 FROM tokens WHERE account_id = $a AND user_key = $u AND name_key = $n AND id <> $id", tx);
            exists.Parameters.AddWithValue("$a", token.AccountId);
            exists.Parameters.AddWithValue("$u", Names.Key(token.UserId));
            exists.Parameters.AddWithValue("$n", Names.Key(newName));
            exists.Parameters.AddWithValue("$id", token.Id);
            if (exists.ExecuteScalar() is not null) { throw ApiError.NameConflict(newName); }
        }
    }

    /// <summary>One entry per requested change: RENAME for a name, ENABLE or DISABLE for a status (a body asking for both writes both).</summary>
    private static void AppendUpdate(SqliteConnection connection, SqliteTransaction tx, Caller caller, TokenRecord token, string? newName, string? newStatus, string outcome, DateTimeOffset now)
    {
        if (newName is not null) { Append(connection, tx, Entry(caller.UserId, token, AuditValues.Rename, newName, outcome, now)); }
        if (newStatus is not null)
        {
            Append(connection, tx, Entry(caller.UserId, token, newStatus == TokenStatus.Disabled ? AuditValues.Disable : AuditValues.Enable, null, outcome, now));
        }
    }

    /// <summary>Revokes a token the caller may revoke; the deletion and its audit entry are one transaction.</summary>
    public void Delete(Caller caller, string id, DateTimeOffset now)
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        var token = GetVisible(connection, tx, caller, id) ?? throw ApiError.TokenNotFound(id);
        using var command = Command(connection, "DELETE FROM tokens WHERE id = $id", tx);
        command.Parameters.AddWithValue("$id", token.Id);
        command.ExecuteNonQuery();
        Append(connection, tx, Entry(caller.UserId, token, AuditValues.Revoke, null, AuditValues.Success, now));
        tx.Commit();
    }

    /// <summary>The entry for an action of <paramref name="actorId"/> on <paramref name="token"/> (as it was before the action).</summary>
    private static AuditEntry Entry(string actorId, TokenRecord token, string action, string? newName, string outcome, DateTimeOffset now) => new(
        Secrets.NewId(), token.AccountId, now.ToUnixTimeSeconds(), actorId, token.UserId, action, token.Id, token.Name, newName, token.TokenPrefix,
        AuditValues.Level(Names.Key(actorId), Names.Key(token.UserId)), AuditValues.Api, outcome);

    private static void Append(SqliteConnection connection, SqliteTransaction tx, AuditEntry entry)
    {
        using var insert = Command(connection, """
            INSERT INTO audit_log (id, account_id, date, actor_key, actor_id, owner_key, owner_id, action, token_id, token_name, new_token_name,
                                   token_prefix, level, source, outcome)
            VALUES ($id, $a, $d, $ak, $actor, $ok, $owner, $action, $t, $n, $nn, $p, $level, $source, $outcome)
            """, tx);
        insert.Parameters.AddWithValue("$id", entry.Id);
        insert.Parameters.AddWithValue("$a", entry.AccountId);
        insert.Parameters.AddWithValue("$d", entry.Date);
        insert.Parameters.AddWithValue("$ak", Names.Key(entry.UserId));
        insert.Parameters.AddWithValue("$actor", entry.UserId);
        insert.Parameters.AddWithValue("$ok", Names.Key(entry.OwnerUserId));
        insert.Parameters.AddWithValue("$owner", entry.OwnerUserId);
        insert.Parameters.AddWithValue("$action", entry.Action);
        insert.Parameters.AddWithValue("$t", entry.TokenId);
        insert.Parameters.AddWithValue("$n", entry.TokenName);
        insert.Parameters.AddWithValue("$nn", (object?)entry.NewTokenName ?? DBNull.Value);
        insert.Parameters.AddWithValue("$p", entry.TokenPrefix);
        insert.Parameters.AddWithValue("$level", entry.Level);
        insert.Parameters.AddWithValue("$source", entry.Source);
        insert.Parameters.AddWithValue("$outcome", entry.Outcome);
        insert.ExecuteNonQuery();
    }

    /// <summary>
    /// What a query lists: the table, what the caller may see of it, and the keyset order. Tokens are ordered by
    /// (createdDate, id); audit entries by (date, seq), the position after an entry being found by its id.
    /// </summary>
    private sealed record Listing<T>(string Table, string Columns, string Visible, string Order, string After, Func<SqliteDataReader, T> Read);

    private static readonly Listing<TokenRecord> Tokens = new(
        "tokens", Columns, "($admin OR user_key = $me)", "created_date, id",
        "(created_date > $afterDate OR (created_date = $afterDate AND id > $afterId))", ReadToken);

    private const string AuditColumns = "id, account_id, date, actor_id, owner_id, action, token_id, token_name, new_token_name, token_prefix, level, source, outcome";

    /// <summary>Administrators see the account's entries; anyone else the entries they acted in or that concern their tokens.</summary>
    private static readonly Listing<AuditEntry> AuditLog = new(
        "audit_log", AuditColumns, "($admin OR actor_key = $me OR owner_key = $me)", "date, seq",
        "(date > $afterDate OR (date = $afterDate AND seq > (SELECT seq FROM audit_log WHERE id = $afterId)))", ReadEntry);

    /// <summary>The audit entry if the caller may see it (see <see cref="AuditLog"/>).</summary>
    public AuditEntry? GetVisibleEntry(Caller caller, string id)
    {
        using var connection = Open();
        using var command = Command(connection, $"SELECT {AuditColumns} FROM audit_log WHERE id = $id AND account_id = $a AND {AuditLog.Visible}");
        command.Parameters.AddWithValue("$id", id);
        AddVisibility(command, caller);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadEntry(reader) : null;
    }

    /// <summary>The number of tokens the caller may see that match the filter.</summary>
    public long Count(Caller caller, SqlFilter filter)
    {
        using var connection = Open();
        return Count(connection, null, Tokens, caller, filter);
    }

    /// <summary>
    /// The total number of matches and the first page, in one read transaction: in WAL mode both statements see the
    /// same snapshot, so numberOfResults agrees with the page however others write meanwhile.
    /// </summary>
    public (long Total, IReadOnlyList<TokenRecord> Rows) FirstPage(Caller caller, SqlFilter filter, int limit) => FirstPage(Tokens, caller, filter, limit);

    /// <summary>The audit log's <see cref="FirstPage(Caller, SqlFilter, int)"/>.</summary>
    public (long Total, IReadOnlyList<AuditEntry> Rows) AuditFirstPage(Caller caller, SqlFilter filter, int limit) => FirstPage(AuditLog, caller, filter, limit);

    private (long Total, IReadOnlyList<T> Rows) FirstPage<T>(Listing<T> listing, Caller caller, SqlFilter filter, int limit)
    {
        using var connection = Open();
        using var snapshot = connection.BeginTransaction(deferred: true);
        var total = Count(connection, snapshot, listing, caller, filter);
        BetweenCountAndFirstPage?.Invoke();
        var rows = Page(connection, snapshot, listing, caller, filter, after: null, limit);
        snapshot.Commit();
        return (total, rows);
    }

    /// <summary>Tests only: runs between the two reads of <see cref="FirstPage(Caller, SqlFilter, int)"/>, to place a concurrent write exactly there.</summary>
    internal Action? BetweenCountAndFirstPage { get; set; }

    /// <summary>
    /// One page in (createdDate, id) order, after the given position (keyset paging: revoking tokens between pages
    /// neither skips nor repeats any).
    /// </summary>
    public IReadOnlyList<TokenRecord> Page(Caller caller, SqlFilter filter, (long Date, string Id)? after, int limit)
    {
        using var connection = Open();
        return Page(connection, null, Tokens, caller, filter, after, limit);
    }

    /// <summary>One page of audit entries in (date, seq) order, after the entry at the given position.</summary>
    public IReadOnlyList<AuditEntry> AuditPage(Caller caller, SqlFilter filter, (long Date, string Id)? after, int limit)
    {
        using var connection = Open();
        return Page(connection, null, AuditLog, caller, filter, after, limit);
    }

    private static long Count<T>(SqliteConnection connection, SqliteTransaction? tx, Listing<T> listing, Caller caller, SqlFilter filter)
    {
        using var command = Command(connection, CountSql(listing, filter), tx);
        AddVisibility(command, caller);
        filter.AddParameters(command);
        return (long)command.ExecuteScalar()!;
    }

    private static IReadOnlyList<T> Page<T>(SqliteConnection connection, SqliteTransaction? tx, Listing<T> listing, Caller caller, SqlFilter filter, (long Date, string Id)? after, int limit)
    {
        using var command = Command(connection, PageSql(listing, filter, after is not null), tx);
        AddVisibility(command, caller);
        filter.AddParameters(command);
        if (after is { } position)
        {
            command.Parameters.AddWithValue("$afterDate", position.Date);
            command.Parameters.AddWithValue("$afterId", position.Id);
        }
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var page = new List<T>();
        while (reader.Read()) { page.Add(listing.Read(reader)); }
        return page;
    }

    private static string CountSql<T>(Listing<T> listing, SqlFilter filter) =>
        $"SELECT COUNT(*) FROM {listing.Table} WHERE account_id = $a AND {listing.Visible} AND ({filter.Sql})";

    private static string PageSql<T>(Listing<T> listing, SqlFilter filter, bool after) =>
        $"SELECT {listing.Columns} FROM {listing.Table} WHERE account_id = $a AND {listing.Visible} AND ({filter.Sql})"
        + (after ? $" AND {listing.After}" : "")
        + $" ORDER BY {listing.Order} LIMIT $limit";

    private static void AddVisibility(SqliteCommand command, Caller caller)
    {
        command.Parameters.AddWithValue("$a", caller.AccountId);
        command.Parameters.AddWithValue("$admin", caller.IsAdmin ? 1 : 0);
        command.Parameters.AddWithValue("$me", caller.UserKey);
    }

    private static TokenRecord ReadToken(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
        reader.GetString(5), reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetInt64(7));

    private static AuditEntry ReadEntry(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
        reader.GetString(6), reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetString(9), reader.GetString(10),
        reader.GetString(11), reader.GetString(12));

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // case_sensitive_like: the contract's LIKE is case-sensitive (id, tokenPrefix); name and userId compare keys that
        // are already folded, so for them it changes nothing. Per connection, because the setting is. SQLite calls the
        // pragma deprecated; QueryContractTests pins it, so a build without it fails loudly rather than matching "ABC" to "abc".
        Execute(connection, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON;");
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = Command(connection, sql, tx);
        command.ExecuteNonQuery();
    }
}
