using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using TokenManagement.Infrastructure;
using Api = TokenManagement.Client;

namespace TokenManagement.Commands;

[Cmdlet(VerbsCommunications.Connect, "AtomSphere")]
[OutputType(typeof(AtomSphereConnection))]
public sealed class ConnectAtomSphereCommand : AsyncPSCmdlet
{
    internal const string DefaultRoot = "https://api.boomi.com";
    internal const string UserIdPrefix = "BOOMI_TOKEN.";
    private const string AccountVariable = "BOOMI_ACCOUNT_ID";
    private const string UserVariable = "BOOMI_USERNAME";
    private const string TokenVariable = "BOOMI_API_TOKEN";
    private const string UriVariable = "BOOMI_API_URI";

    [Parameter(Position = 0)]
    [ValidateNotBlank]
    public string? AccountId { get; set; }

    /// <summary>User name: the user id (with or without BOOMI_TOKEN.); password: the token.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNull]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    [ValidateNotNull]
    public Uri? Uri { get; set; }

    /// <summary>The client's ceiling: 0 (none), or 0.01 to 10,000 requests per second.</summary>
    [Parameter]
    [ValidateRequestRate]
    public double RequestsPerSecond { get; set; } = 10;

    /// <summary>Per attempt, at most a day (a longer wait is no timeout).</summary>
    [Parameter]
    [ValidateRange(1, MaxTimeoutSec)]
    public int TimeoutSec { get; set; } = 100;

    internal const int MaxTimeoutSec = 86400;

    /// <summary>How often a throttled, unavailable or unanswered request is retried before ServiceUnavailable.</summary>
    [Parameter]
    [ValidateRange(0, 50)]
    public int MaxRetries { get; set; } = Api.AtomSphereClientOptions.DefaultMaxRetries;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private ConnectionScope? _scope;

    protected override void BeginProcessing()
    {
        _scope = ConnectionRegistry.Current; // the runspace is known on the pipeline thread only
        base.BeginProcessing();
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        Uri root = ResolveRoot();
        (string accountId, string userId, SecureString token) = await ResolveCredentialAsync().ConfigureAwait(false);

        var client = new Api.AtomSphereClient(new Api.AtomSphereClientOptions
        {
            Root = root,
            AccountId = accountId,
            UserId = userId,
            Token = token,
            Timeout = TimeSpan.FromSeconds(TimeoutSec),
            RequestsPerSecond = RequestsPerSecond,
            MaxRetries = MaxRetries,
            RequestObserver = RequestLog.Forward,
        });
        string? ownTokenId;
        bool? isAdministrator;
        try
        {
            QueueVerbose($"Checking the credential of {userId} for account {accountId} at {root}.");
            isAdministrator = (await client.GetAccountAsync(cancellationToken).ConfigureAwait(false)).IsAdministrator;
            Api.ApiToken? own = await client.FindTokenByValueAsync(token, cancellationToken).ConfigureAwait(false);
            ownTokenId = own?.Id;
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
        {
            client.Dispose();
            string doing = $"Could not connect to account {accountId} as {userId} at {root}";
            throw new TerminatingErrorException(exception is Api.ApiException { Kind: Api.ApiErrorKind.NotFound } notFound
                ? ApiErrors.ServiceNotFound(root, accountId, notFound)
                : ApiErrors.FromException(exception, accountId, doing));
        }
        catch (Exception)
        {
            client.Dispose();
            throw;
        }

        if (ownTokenId is null)
        {
            QueueWarning("The service did not show the id of this connection's own token: Disable-ApiToken and Remove-ApiToken cannot protect it.");
        }

        var session = new ConnectionSession(client, accountId, userId, root, SecureStrings.Prefix(token, 6), ownTokenId, isAdministrator);
        AtomSphereConnection connection = _scope!.Add(session);
        QueueVerbose($"Connected as {userId} to account {accountId}: connection {connection.Id} is the default.");
        if (PassThru)
        {
            await WriteObjectAsync(connection).ConfigureAwait(false);
        }
    }

    private Uri ResolveRoot()
    {
        Uri? uri = Uri;
        if (uri is null)
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable(UriVariable);
            if (string.IsNullOrWhiteSpace(fromEnvironment))
            {
                return new Uri(DefaultRoot);
            }

            if (!System.Uri.TryCreate(fromEnvironment!.Trim(), UriKind.Absolute, out uri))
            {
                throw new TerminatingErrorException(ApiErrors.InvalidUri(fromEnvironment, $"the environment variable {UriVariable} is not an absolute URI."));
            }
        }

        if (!uri.IsAbsoluteUri)
        {
            throw new TerminatingErrorException(ApiErrors.InvalidUri(uri, "it is not an absolute URI (e.g. https://api.boomi.com)."));
        }

        if (uri.UserInfo.Length > 0)
        {
            // Never echo it: the part before @ may be a password.
            var shown = new UriBuilder(uri) { UserName = "", Password = "" }.Uri;
            throw new TerminatingErrorException(ApiErrors.InvalidUri(shown,
                "it contains a user name or password. Pass the credential with -Credential, never in the URI."));
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new TerminatingErrorException(ApiErrors.InvalidUri(uri, "it has a query or fragment; give the root only (a base path such as a gateway prefix is kept)."));
        }

        bool https = string.Equals(uri.Scheme, System.Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);
        bool http = string.Equals(uri.Scheme, System.Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase);
        if (!https && !(http && uri.IsLoopback))
        {
            throw new TerminatingErrorException(ApiErrors.InvalidUri(uri, http
                ? "http:// would send the token unencrypted; it is allowed only for a service on this machine."
                : "only https:// (or http:// to this machine) is supported."));
        }

        return uri;
    }

    /// <summary>
    /// From the parameters, else the environment; what is still missing is asked for at an interactive host, and is
    /// a MissingCredential error where nobody can answer.
    /// </summary>
    private async Task<(string AccountId, string UserId, SecureString Token)> ResolveCredentialAsync()
    {
        string? accountId = NullIfBlank(AccountId) ?? NullIfBlank(Environment.GetEnvironmentVariable(AccountVariable));
        string? userName;
        SecureString? token;
        if (Credential is not null)
        {
            userName = Credential.UserName;
            token = Credential.Password?.Copy();
        }
        else
        {
            userName = NullIfBlank(Environment.GetEnvironmentVariable(UserVariable));
            string? value = Environment.GetEnvironmentVariable(TokenVariable);
            token = string.IsNullOrEmpty(value) ? null : SecureStrings.FromPlainText(value!);
        }

        var missing = new List<string>();
        if (accountId is null)
        {
            missing.Add(AccountVariable);
        }

        if (Credential is null && userName is null)
        {
            missing.Add(UserVariable);
        }

        if (Credential is null && token is null)
        {
            missing.Add(TokenVariable);
        }

        if (missing.Count == 0)
        {
            return Checked(accountId!, userName, token);
        }

        PSHost host = Host;
        accountId ??= await InvokeOnPipelineThreadAsync(() => CredentialPrompt.AskAccountId(host)).ConfigureAwait(false);
        if (NullIfBlank(accountId) is { } account && (userName is null || token is null))
        {
            PSCredential? answer = await InvokeOnPipelineThreadAsync(() => CredentialPrompt.AskCredential(host, account, userName)).ConfigureAwait(false);
            if (answer is not null)
            {
                userName = answer.UserName;
                token = answer.Password;
            }
        }

        if (NullIfBlank(accountId) is null || userName is null || token is null)
        {
            throw new TerminatingErrorException(ApiErrors.MissingCredential(
                $"Connect-AtomSphere needs an account id, a user id and a token. Without -AccountId and -Credential it reads " +
                $"them from the environment, but {string.Join(", ", missing)} {(missing.Count > 1 ? "are" : "is")} not set, " +
                "and this host cannot ask for them (it is not interactive)."));
        }

        return Checked(accountId!, userName, token);
    }

    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text!.Trim();

    private static (string AccountId, string UserId, SecureString Token) Checked(string accountId, string? userName, SecureString? token)
    {
        userName ??= "";
        string userId = (userName.StartsWith(UserIdPrefix, StringComparison.OrdinalIgnoreCase)
            ? userName.Substring(UserIdPrefix.Length)
            : userName).Trim();
        if (userId.Length == 0 || token is null || token.Length == 0)
        {
            throw new TerminatingErrorException(ApiErrors.MissingCredential(
                "The credential has no user id or no token. The user name is the user id (BOOMI_TOKEN.<user> or <user>), the password the API token."));
        }

        token.MakeReadOnly();
        return (accountId!.Trim(), userId, token);
    }
}
