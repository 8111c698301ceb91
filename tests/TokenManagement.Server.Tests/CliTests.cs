namespace TokenManagement.Server.Tests;

public sealed class CliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tm-cli-").FullName;
    private string Database => Path.Combine(_directory, "tokens.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Cli.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Add_user_prints_only_the_new_tokens_value_and_it_authenticates()
    {
        var (exit, output, _) = await Run("add-user", "--database", Database, "--account", "acme", "--user", "alice@acme.example", "--admin", "--token-name", "first");

        Assert.Equal(0, exit);
        var value = output.Trim();
        Assert.Matches("^[0-9a-f-]{36}$", value);
        var caller = new TokenStore(Database).Authenticate("alice@acme.example", value, DateTimeOffset.UtcNow);
        Assert.NotNull(caller);
        Assert.True(caller.IsAdmin);
        Assert.True(caller.HasApiAccess);
    }

    [Fact]
    public async Task Add_user_without_api_access_records_it()
    {
        var (_, output, _) = await Run("add-user", "--database", Database, "--account", "acme", "--user", "carol@acme.example", "--no-api-access");
        Assert.False(new TokenStore(Database).Authenticate("carol@acme.example", output.Trim(), DateTimeOffset.UtcNow)!.HasApiAccess);
    }

    [Fact]
    public async Task Add_user_twice_with_the_same_token_name_fails_clearly()
    {
        await Run("add-user", "--database", Database, "--account", "acme", "--user", "alice@acme.example");
        var (exit, output, error) = await Run("add-user", "--database", Database, "--account", "acme", "--user", "alice@acme.example");
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Contains("already exists", error);
    }

    [Fact]
    public async Task Seed_adds_users_times_tokens()
    {
        var (exit, _, _) = await Run("seed", "--database", Database, "--account", "acme", "--users", "40", "--tokens-per-user", "25");
        Assert.Equal(0, exit);
        Assert.Equal(1000, new TokenStore(Database).Count(new Caller("acme", "x", true, true, ""), SqlFilter.All));
    }

    [Theory]
    [InlineData("serve", "--bogus")]
    [InlineData("serve", "--rate-limit", "fast")]
    [InlineData("serve", "--fault-rate", "2")]
    [InlineData("add-user", "--account", "acme")]
    [InlineData("launch")]
    public async Task Bad_usage_exits_2_with_the_usage(params string[] args)
    {
        var (exit, _, error) = await Run(args);
        Assert.Equal(2, exit);
        Assert.Contains("Usage:", error);
    }

    [Fact]
    public async Task Help_names_the_fault_flags_as_fault_testing()
    {
        var (exit, output, _) = await Run("serve", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("Fault testing only", output);
        Assert.Contains("--fault-abort-rate", output);
        Assert.Contains("--fault-plan", output);
        Assert.Contains("--fault-admin", output);
    }
}
