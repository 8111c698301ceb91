using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using static TokenManagement.Server.Tests.Filters;

namespace TokenManagement.Server.Tests;

/// <summary>The names policy of docs/api.md (Names): stored NFC, compared by one key, some characters refused.</summary>
public sealed class NameTests
{
    public static TheoryData<string, string> SameName() => new()
    {
        { "caf\u00E9", "cafe\u0301" },                  // NFC and NFD
        { "\uFF21\uFF22\uFF23", "abc" },                 // fullwidth and ASCII
        { "\uFB01x", "fix" },                            // the ligature ﬁ
        { "stra\u00DFe", "STRASSE" },                    // ß folds to ss
        { "\u1E9Eigma", "ssigma" },                      // capital sharp s
        { "\u212Aelvin", "kelvin" },                     // the Kelvin sign
        { "\u039F\u0394\u039F\u03A3", "\u03BF\u03B4\u03BF\u03C2" }, // ΟΔΟΣ and οδος with a final sigma
        { "ci\u200Bpipeline", "cipipeline" },            // a zero-width space does not make a new name
        { "soft\u00ADhyphen", "softhyphen" },
        { "\u2460-one", "1-one" },                       // circled digit one
        { "\u1FB3", "\u03B1\u03B9" },                    // ᾳ folds to αι
    };

    [Theory]
    [MemberData(nameof(SameName))]
    public async Task Names_that_differ_only_in_form_case_or_invisible_characters_are_one_name(string first, string second)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        await alice.Create(first);

        (await alice.Post("ApiToken", new { name = second })).AssertError(409, "NameConflict");
        Assert.Single(await alice.QueryAll(Simple("EQUALS", "name", second)));
        Assert.Single(await alice.QueryAll(Simple("LIKE", "name", second)));
        Assert.Single(await alice.QueryAll(Simple("STARTS_WITH", "name", second)));
        var other = (await alice.Create("other"))["id"]!.GetValue<string>();
        (await alice.Post($"ApiToken/{other}", new { name = second })).AssertError(409, "NameConflict");
    }

    [Fact]
    public async Task A_name_is_stored_and_answered_in_NFC_and_renaming_within_its_key_is_no_conflict()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var created = await alice.Create("cafe\u0301");
        Assert.Equal("caf\u00E9", created["name"]!.GetValue<string>());
        var id = created["id"]!.GetValue<string>();
        Assert.Equal("caf\u00E9", (await alice.Get($"ApiToken/{id}")).Object["name"]!.GetValue<string>());

        var renamed = await alice.Post($"ApiToken/{id}", new { name = "\uFF23\uFF21\uFF26\u00C9" });
        Assert.Equal(200, renamed.Status);
        Assert.Equal("\uFF23\uFF21\uFF26\u00C9", renamed.Object["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task LIKE_on_names_keys_each_literal_run_and_keeps_escaped_wildcards_literal()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example", tokenName: "Stra\u00DFe-Deploy");
        await alice.Create("50%-\uFB01x");
        await alice.Create("\uFF15\uFF10\uFF05"); // fullwidth "50%": its key is "50%", a literal percent

        Assert.Equal(["Stra\u00DFe-Deploy"], NamesOf(await alice.QueryAll(Simple("LIKE", "name", "STRASSE%"))));
        Assert.Equal(["Stra\u00DFe-Deploy"], NamesOf(await alice.QueryAll(Simple("LIKE", "name", "stra__e-%"))));
        Assert.Equal(["50%-\uFB01x"], NamesOf(await alice.QueryAll(Simple("LIKE", "name", "50\\%-FIX"))));
        // A fullwidth percent in a pattern is a literal percent, never a wildcard.
        Assert.Equal(["\uFF15\uFF10\uFF05"], NamesOf(await alice.QueryAll(Simple("LIKE", "name", "50\uFF05"))));
    }

    [Theory]
    [InlineData("\u200B", "visible")]
    [InlineData("\uFEFF", "visible")]
    [InlineData("\u200B\uFEFF\u2060", "visible")]
    [InlineData("\u3164", "visible")]
    [InlineData("admin\u202Etxt.exe", "bidirectional")]
    [InlineData("\u2066x\u2069", "bidirectional")]
    [InlineData("x\u200Ey", "bidirectional")]
    [InlineData("line\u2028break", "separator")]
    [InlineData("un\u0378assigned", "unassigned")]
    [InlineData("non\uFFFFcharacter", "unassigned")]
    [InlineData(" leading", "whitespace")]
    [InlineData("trailing\u00A0", "whitespace")]
    [InlineData("bell\u0007", "control")]
    public async Task Names_with_nothing_visible_or_with_bidi_controls_are_refused(string name, string named)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.Post("ApiToken", new { name });
        answer.AssertError(400, "InvalidRequest");
        Assert.Contains(named, answer.Object["message"]!.GetValue<string>());
        (await alice.Post($"ApiToken/{alice.TokenId}", new { name })).AssertError(400, "InvalidRequest");
        Assert.Equal("bootstrap", Assert.Single(await alice.QueryAll(null))["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_length_limit_counts_the_stored_NFC_form()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var decomposed = string.Concat(Enumerable.Repeat("e\u0301", 100)); // 200 code units, 100 in NFC
        Assert.Equal(100, (await alice.Create(decomposed))["name"]!.GetValue<string>().Length);
        (await alice.Post("ApiToken", new { name = new string('\u00E9', 101) })).AssertError(400, "InvalidRequest");
    }

    [Fact]
    public void The_key_of_a_key_is_itself_for_every_assigned_code_point()
    {
        var failures = new List<string>();
        for (var c = 0; c <= 0x10FFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF) { continue; }
            var text = char.ConvertFromUtf32(c);
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.OtherNotAssigned) { continue; }
            var key = TokenManagement.Server.Names.Key(text);
            if (TokenManagement.Server.Names.Key(key) != key || key != key.Normalize(NormalizationForm.FormKC)) { failures.Add($"U+{c:X4}"); }
        }
        Assert.Empty(failures);
    }

    [Fact]
    public void The_ASCII_shortcut_is_the_full_rule()
    {
        for (var c = 0; c < 0x80; c++)
        {
            var text = ((char)c).ToString();
            var slow = text.Normalize(NormalizationForm.FormKD).ToLowerInvariant().Normalize(NormalizationForm.FormKC);
            Assert.Equal(slow, TokenManagement.Server.Names.Key(text));
        }
    }

    [Fact]
    public void Each_folding_beyond_lowercase_is_needed_and_maps_to_a_key()
    {
        foreach (var (from, to) in TokenManagement.Server.Names.FoldingsBeyondLowercase)
        {
            var text = char.ConvertFromUtf32(from);
            Assert.NotEqual(text.Normalize(NormalizationForm.FormKD).ToLowerInvariant().Normalize(NormalizationForm.FormKC), TokenManagement.Server.Names.Key(text));
            Assert.Equal(to, TokenManagement.Server.Names.Key(to));
        }
    }

    [Fact]
    public async Task User_ids_compare_by_the_same_key()
    {
        await using var server = await TestServer.StartAsync();
        var user = server.AddUser("acme", "stra\u00DFe@acme.example");
        Assert.Equal(200, (await server.ClientFor("acme", "STRASSE@ACME.EXAMPLE", user.Token).Get("Account/acme")).Status);
        Assert.Single(await user.QueryAll(Simple("EQUALS", "userId", "strasse@acme.example")));
    }

    [Fact]
    public void A_database_keyed_by_the_old_lowercase_rule_is_rekeyed_at_start()
    {
        var path = OldDatabase(("alice@acme.example", "stra\u00DFe"), ("alice@acme.example", "\uFF41\uFF42\uFF43"));
        try
        {
            var store = new TokenStore(path);
            store.Initialize();
            var alice = new Caller("acme", "alice@acme.example", false, true, "");
            Assert.Equal(1, store.Count(alice, QueryFilterTranslator.ToSql(new FilterNode { Property = "name", Operator = "EQUALS", Arguments = ["STRASSE"] })));
            Assert.Equal(1, store.Count(alice, QueryFilterTranslator.ToSql(new FilterNode { Property = "name", Operator = "EQUALS", Arguments = ["ABC"] })));
            store.Initialize(); // once re-keyed, a second start changes nothing
        }
        finally { Delete(path); }
    }

    [Fact]
    public void A_database_whose_names_the_new_rule_makes_equal_refuses_to_start_and_says_which()
    {
        var path = OldDatabase(("alice@acme.example", "caf\u00E9"), ("alice@acme.example", "cafe\u0301"));
        try
        {
            var failure = Assert.Throws<InvalidOperationException>(() => new TokenStore(path).Initialize());
            Assert.Contains("caf", failure.Message);
            Assert.Contains("new database", failure.Message);
        }
        finally { Delete(path); }
    }

    private static List<string> NamesOf(IEnumerable<JsonObject> tokens) => tokens.Select(t => t["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();

    /// <summary>A database as the server before the names policy wrote it: keys are ToLowerInvariant, no key rule recorded.</summary>
    private static string OldDatabase(params (string User, string Name)[] tokens)
    {
        var path = Path.Combine(Path.GetTempPath(), "tm-old-" + Guid.NewGuid().ToString("n")[..12] + ".db");
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
            CREATE TABLE accounts (account_id TEXT PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE users (account_id TEXT NOT NULL REFERENCES accounts(account_id), user_key TEXT NOT NULL, user_id TEXT NOT NULL,
                is_admin INTEGER NOT NULL, api_access INTEGER NOT NULL, PRIMARY KEY (account_id, user_key));
            CREATE TABLE tokens (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, user_key TEXT NOT NULL, user_id TEXT NOT NULL, name TEXT NOT NULL,
                name_key TEXT NOT NULL, token_prefix TEXT NOT NULL, token_hash BLOB NOT NULL UNIQUE, status TEXT NOT NULL, created_date INTEGER NOT NULL,
                last_used_date INTEGER, FOREIGN KEY (account_id, user_key) REFERENCES users(account_id, user_key));
            CREATE UNIQUE INDEX ux_tokens_user_name ON tokens (account_id, user_key, name_key);
            INSERT INTO accounts VALUES ('acme', 'acme');
            """;
        command.ExecuteNonQuery();
        var n = 0;
        foreach (var (user, name) in tokens)
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT OR IGNORE INTO users VALUES ('acme', $uk, $u, 0, 1);
                INSERT INTO tokens VALUES ($id, 'acme', $uk, $u, $n, $nk, 'abcdef', $h, 'ENABLED', 1700000000, NULL);
                """;
            insert.Parameters.AddWithValue("$uk", user.ToLowerInvariant());
            insert.Parameters.AddWithValue("$u", user);
            insert.Parameters.AddWithValue("$id", $"old{n}");
            insert.Parameters.AddWithValue("$n", name);
            insert.Parameters.AddWithValue("$nk", name.ToLowerInvariant());
            insert.Parameters.AddWithValue("$h", new byte[] { (byte)n++ });
            insert.ExecuteNonQuery();
        }
        return path;
    }

    private static void Delete(string path)
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + "*")) { File.Delete(file); }
    }
}
