using System.Management.Automation;
using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>The error ids of the module (the start of FullyQualifiedErrorId).</summary>
internal static class ErrorIds
{
    public const string ApiTokenNotFound = nameof(ApiTokenNotFound);
    public const string ApiTokenNameConflict = nameof(ApiTokenNameConflict);
    public const string ApiTokenLimitReached = nameof(ApiTokenLimitReached);
    public const string InvalidApiTokenName = nameof(InvalidApiTokenName);
    public const string ApiAccessDenied = nameof(ApiAccessDenied);
    public const string AuthenticationFailed = nameof(AuthenticationFailed);
    public const string NotConnected = nameof(NotConnected);
    public const string ApiTokenInUse = nameof(ApiTokenInUse);
    public const string ServiceUnavailable = nameof(ServiceUnavailable);
    public const string ApiRequestFailed = nameof(ApiRequestFailed);
    public const string InvalidUri = nameof(InvalidUri);
    public const string MissingCredential = nameof(MissingCredential);
    public const string InvalidApiTokenInput = nameof(InvalidApiTokenInput);
    public const string ConnectionNotFound = nameof(ConnectionNotFound);
    public const string ServiceNotFound = nameof(ServiceNotFound);
    public const string ApiTokenNotOwned = nameof(ApiTokenNotOwned);
    public const string ApiTokenRotationFailed = nameof(ApiTokenRotationFailed);
    public const string ApiTokenRotationIncomplete = nameof(ApiTokenRotationIncomplete);
}

/// <summary>
/// Who met an error, and doing what: the advice depends on it (an administrator is not told to get Account
/// Administration, a failure after connecting is not a mistyped credential, only a rename is the owner's alone).
/// </summary>
internal sealed class ErrorCase
{
    /// <summary>The connection the request went through; null while connecting.</summary>
    public AtomSphereConnection? Connection { get; set; }

    /// <summary>The request renames a token (only its owner may).</summary>
    public bool Rename { get; set; }

    /// <summary>The request changes something (its outcome matters when no answer came).</summary>
    public bool Change { get; set; }

    /// <summary>The token acted on, when known.</summary>
    public ApiToken? Token { get; set; }

    public static ErrorCase Through(AtomSphereConnection? connection) => new() { Connection = connection };
}

/// <summary>
/// Every ErrorRecord the module writes. <see cref="FromApi"/> holds the one table from the client's
/// <see cref="Api.ApiErrorKind"/> to error id, category and what to do next, chosen for the case (<see cref="ErrorCase"/>).
/// Messages name tokens by name and id, never by value; the client's messages never contain a value either.
/// </summary>
internal static class ApiErrors
{
    private sealed class Rule
    {
        public Rule(string errorId, ErrorCategory category, Func<ErrorCase, string?> advice)
        {
            ErrorId = errorId;
            Category = category;
            Advice = advice;
        }

        public Rule(string errorId, ErrorCategory category, string? advice)
            : this(errorId, category, _ => advice)
        {
        }

        public string ErrorId { get; }
        public ErrorCategory Category { get; }

        /// <summary>What to do, for this case; null when the client's message already says it.</summary>
        public Func<ErrorCase, string?> Advice { get; }
    }

    private static readonly Dictionary<Api.ApiErrorKind, Rule> s_table = new()
    {
        [Api.ApiErrorKind.InvalidRequest] = new(ErrorIds.ApiRequestFailed, ErrorCategory.InvalidResult,
            "The service refused the request. Check the parameters; if they are right, report this with the -Verbose output."),
        [Api.ApiErrorKind.Unauthorized] = new(ErrorIds.AuthenticationFailed, ErrorCategory.AuthenticationError, UnauthorizedAdvice),
        [Api.ApiErrorKind.Forbidden] = new(ErrorIds.ApiAccessDenied, ErrorCategory.PermissionDenied, ForbiddenAdvice),
        [Api.ApiErrorKind.NotFound] = new(ErrorIds.ApiTokenNotFound, ErrorCategory.ObjectNotFound, c => UnseenAdvice(c.Connection)),

        // The client's messages of these say what to do.
        [Api.ApiErrorKind.NameConflict] = new(ErrorIds.ApiTokenNameConflict, ErrorCategory.ResourceExists, (string?)null),
        [Api.ApiErrorKind.TokenLimitReached] = new(ErrorIds.ApiTokenLimitReached, ErrorCategory.QuotaExceeded, (string?)null),
        [Api.ApiErrorKind.Unavailable] = new(ErrorIds.ServiceUnavailable, ErrorCategory.ResourceUnavailable, (string?)null),
        [Api.ApiErrorKind.ServerError] = new(ErrorIds.ApiRequestFailed, ErrorCategory.InvalidResult, (string?)null),
    };

    // A 400 to a request whose only input is a name (create, rename) is about that name.
    private const string NameAdvice = "Use 1 to 100 characters without control characters.";

    private static readonly Rule s_invalidName = new(ErrorIds.InvalidApiTokenName, ErrorCategory.InvalidArgument, NameAdvice);

    private const string ReportAdvice = "Try again later; if it persists, report it with the -Verbose output.";

    private static readonly Rule s_unknown = new(ErrorIds.ApiRequestFailed, ErrorCategory.InvalidResult, ReportAdvice);

    private static string UnauthorizedAdvice(ErrorCase c) => c.Connection is { } connection
        ? $"The token of connection {connection.Id} ({connection.UserId}) no longer authenticates: it was disabled or revoked after connecting. Run Connect-AtomSphere with a valid token."
        : "Check the account id, the user id and the token, and that the token is enabled and not revoked.";

    private static string ForbiddenAdvice(ErrorCase c)
    {
        if (c.Connection is not { } connection)
        {
            return "Check -AccountId, and that the user has the API Access privilege (an account administrator grants it).";
        }

        if (c.Rename && c.Token is { } token && !ApiTokenNames.AreEqual(token.UserId, connection.UserId))
        {
            return $"Only its owner, {token.UserId}, can rename it.";
        }

        // After connecting, the account is right, and another user's token is 404 (not 403) to a non-administrator:
        // what is left is a privilege taken away since.
        return $"{connection.UserId} may have lost the API Access privilege since connecting: ask an account administrator, then run Connect-AtomSphere again.";
    }

    /// <summary>Why a token cannot be seen through this connection, for its user.</summary>
    public static string UnseenAdvice(AtomSphereConnection? connection) => connection?.Session.IsAdministrator switch
    {
        true => "It may have been revoked.",
        false => $"It may have been revoked, or belong to another user: other users' tokens are visible only with Account Administration, which {connection.UserId} does not have.",
        _ => "It may have been revoked, or belong to another user (other users' tokens are visible only with Account Administration).",
    };

    /// <summary>The record for a failed API call.</summary>
    /// <param name="exception">The client's exception.</param>
    /// <param name="target">The token (or its id, or the name asked for); never the cmdlet.</param>
    /// <param name="doing">What failed, e.g. "Could not revoke API token 'x' (id 1, user u)".</param>
    /// <param name="nameRequest">The request's only input was a token name (create, rename).</param>
    /// <param name="situation">Who asked, doing what: chooses the advice.</param>
    public static ErrorRecord FromApi(Api.ApiException exception, object? target, string doing, bool nameRequest = false, ErrorCase? situation = null)
    {
        Rule rule = nameRequest && exception.Kind == Api.ApiErrorKind.InvalidRequest
            ? s_invalidName
            : s_table.TryGetValue(exception.Kind, out Rule? found) ? found : s_unknown;
        situation ??= new ErrorCase();
        situation.Token ??= target as ApiToken;
        return Create(rule.ErrorId, rule.Category, $"{doing}: {exception.Message.Trim()}", target, exception, rule.Advice(situation));
    }

    /// <summary>
    /// The record for any failed call: <see cref="Api.ApiException"/> through the table, anything else (a bug, a
    /// connection closed while the request ran) as ApiRequestFailed. Cancellation is not a failure: the caller stops.
    /// </summary>
    public static ErrorRecord FromException(Exception exception, object? target, string doing, bool nameRequest = false, ErrorCase? situation = null)
    {
        if (exception is Api.ApiException api)
        {
            return FromApi(api, target, doing, nameRequest, situation);
        }

        if (exception is OperationCanceledException)
        {
            return Create(s_unknown.ErrorId, s_unknown.Category,
                $"{doing}: the request was cancelled before the service answered (was the connection closed?).", target, exception,
                situation?.Change == true
                    ? "Whether it took effect is not known: read the token again (Get-ApiToken -Id) before repeating it."
                    : "Connect again if the connection was closed, then repeat the command.");
        }

        return Create(s_unknown.ErrorId, s_unknown.Category, $"{doing}: {exception.Message.Trim()}", target, exception, ReportAdvice);
    }

    /// <summary>
    /// Whether an exception from a call is that call's failure (to report for its item), rather than this command
    /// being stopped: a cancellation counts as a failure unless it came from <paramref name="cancellationToken"/>
    /// (e.g. the connection's client was disposed under the request).
    /// </summary>
    public static bool IsFailure(Exception exception, CancellationToken cancellationToken) =>
        exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested;

    public static ErrorRecord NotConnected(AtomSphereConnection? closed) =>
        Create(ErrorIds.NotConnected, ErrorCategory.ConnectionError,
            closed is null ? "Not connected." : $"Connection {closed.Id} is closed.",
            closed, null, closed is null
                ? "Run Connect-AtomSphere first."
                : "Run Connect-AtomSphere, or pass an open connection (Get-AtomSphereConnection lists them) to -Connection.");

    public static ErrorRecord InvalidName(string? name, string problem) =>
        Create(ErrorIds.InvalidApiTokenName, ErrorCategory.InvalidArgument,
            $"'{name}' is not a valid API token name. {problem}", name, null, NameAdvice);

    /// <param name="advice">What to do, for this case (null when the message says all there is).</param>
    public static ErrorRecord NotFound(object? target, string message, string? advice) =>
        Create(ErrorIds.ApiTokenNotFound, ErrorCategory.ObjectNotFound, message, target, null, advice);

    /// <summary>A piped token whose connection was closed since it was read.</summary>
    public static ErrorRecord TokenConnectionClosed(ApiToken token) =>
        Create(ErrorIds.NotConnected, ErrorCategory.ConnectionError,
            $"API token {ApiTokenMapper.Describe(token)} was read through connection {token.Connection?.Id}, which is closed.",
            token, null, "Pass -Connection to act through another connection (the token is then looked up again through it).");

    /// <summary>The connection of this command was closed while it ran: the item named by the target was not looked up.</summary>
    public static ErrorRecord ConnectionClosedMidRun(AtomSphereConnection connection, object? target) =>
        Create(ErrorIds.NotConnected, ErrorCategory.ConnectionError,
            $"Connection {connection.Id} was closed while the command ran; {(target is null ? "the token" : $"'{target}'")} was not looked up.",
            target, null, "Run Connect-AtomSphere, then run the command again for what is left.");

    public static ErrorRecord TokenInUse(ApiToken token, string verb, IEnumerable<AtomSphereConnection> using_) =>
        Create(ErrorIds.ApiTokenInUse, ErrorCategory.InvalidOperation,
            $"Skipped API token {ApiTokenMapper.Describe(token)}: connection {string.Join(", ", using_.Select(c => c.Id))} authenticates with it.",
            token, null, $"To {verb} it anyway, add -IncludeCurrentToken (it is processed last and that connection is then closed).");

    /// <summary>Rotation creates the replacement for the caller, so it acts only on the caller's own tokens.</summary>
    public static ErrorRecord NotOwned(ApiToken token, AtomSphereConnection connection) =>
        Create(ErrorIds.ApiTokenNotOwned, ErrorCategory.PermissionDenied,
            $"Did not rotate API token {ApiTokenMapper.Describe(token)}: it belongs to {token.UserId}, and a replacement would be created for the connection's user {connection.UserId}. Nothing was changed.",
            token, null, $"Rotate it through a connection of {token.UserId}.");

    public static ErrorRecord TokenInUseForRotation(ApiToken token, IEnumerable<AtomSphereConnection> using_) =>
        Create(ErrorIds.ApiTokenInUse, ErrorCategory.InvalidOperation,
            $"Did not rotate API token {ApiTokenMapper.Describe(token)}: connection {string.Join(", ", using_.Select(c => c.Id))} authenticates with it. Nothing was changed.",
            token, null, "To rotate it anyway, add -IncludeCurrentToken (the connection then goes on with the replacement).");

    public static ErrorRecord RotationLimit(ApiToken token, string userId, long held, Exception? inner) =>
        Create(ErrorIds.ApiTokenLimitReached, ErrorCategory.QuotaExceeded,
            $"Did not rotate API token {ApiTokenMapper.Describe(token)}: {userId} holds {held} tokens, the most the service allows, and the replacement needs a free slot. Nothing was changed.",
            token, inner, "Remove a token that is no longer used (Get-ApiToken -NotUsedSince ... | Remove-ApiToken) and try again.");

    /// <summary>A rotation that failed before the old token was touched and was rolled back (or says why not).</summary>
    public static ErrorRecord RotationFailed(ApiToken token, ErrorCategory category, string message, Exception? inner) =>
        Create(ErrorIds.ApiTokenRotationFailed, category, message, token, inner, null);

    /// <summary>A rotation whose replacement is live but whose old token could not be ended as asked: the message says the state.</summary>
    public static ErrorRecord RotationIncomplete(ApiToken token, string message, Exception? inner) =>
        Create(ErrorIds.ApiTokenRotationIncomplete, ErrorCategory.InvalidOperation, message, token, inner, null);

    public static ErrorRecord InvalidInput(object? input, string problem) =>
        Create(ErrorIds.InvalidApiTokenInput, ErrorCategory.InvalidArgument, problem, input, null,
            "Pipe tokens from Get-ApiToken, objects with an Id property (e.g. Import-Csv rows), or token names.");

    /// <summary>Connecting answered 404: the URI has no AtomSphere API, or it does not know the account. Not ApiTokenNotFound.</summary>
    public static ErrorRecord ServiceNotFound(Uri root, string accountId, Api.ApiException exception) =>
        Create(ErrorIds.ServiceNotFound, ErrorCategory.ObjectNotFound,
            $"No AtomSphere API answered for account {accountId} at {root} (404 Not Found): either the address is not an AtomSphere API root " +
            "(e.g. https://api.boomi.com, or a gateway's prefix for it) or the account id is not known there.",
            root, exception, "Check -Uri and -AccountId.");

    public static ErrorRecord ConnectionNotFound(int id) =>
        Create(ErrorIds.ConnectionNotFound, ErrorCategory.ObjectNotFound,
            $"This session has no connection with id {id}.", id, null, "Get-AtomSphereConnection lists them.");

    /// <param name="problem">What is wrong and what to use instead.</param>
    public static ErrorRecord InvalidUri(object? uri, string problem) =>
        Create(ErrorIds.InvalidUri, ErrorCategory.InvalidArgument, $"'{uri}' cannot be used as -Uri: {problem}", uri, null, null);

    public static ErrorRecord MissingCredential(string message) =>
        Create(ErrorIds.MissingCredential, ErrorCategory.InvalidArgument, message, null, null,
            "Pass -AccountId and -Credential, or set the environment variables named.");

    /// <summary>
    /// An error record whose message says what happened and then, once, what to do (<paramref name="advice"/>;
    /// null when <paramref name="message"/> already says it). The advice is not repeated in ErrorDetails.
    /// </summary>
    public static ErrorRecord Create(string errorId, ErrorCategory category, string message, object? target, Exception? inner, string? advice)
    {
        string text = advice is null ? message : $"{message.TrimEnd()} {advice}";
        Exception exception = category switch
        {
            ErrorCategory.ObjectNotFound => new ItemNotFoundException(text, inner),
            ErrorCategory.InvalidArgument => new ArgumentException(text, inner),
            ErrorCategory.PermissionDenied or ErrorCategory.AuthenticationError => new UnauthorizedAccessException(text, inner),
            _ => new InvalidOperationException(text, inner),
        };
        return new ErrorRecord(exception, errorId, category, target);
    }
}
