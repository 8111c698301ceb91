using System.Globalization;
using System.Management.Automation;
using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>How one Invoke-ApiTokenRotation rotates each token.</summary>
internal sealed class TokenRotationOptions
{
    /// <summary>The replacement's final name; null: the old token's name.</summary>
    public string? NewName { get; set; }

    /// <summary>How long the old token stays disabled (not revoked) before it is revoked.</summary>
    public TimeSpan GracePeriod { get; set; }

    /// <summary>Leave the old token disabled (renamed out of the way) instead of revoking it.</summary>
    public bool KeepOld { get; set; }

    /// <summary>Also rotate a token a connection authenticates with; that connection goes on with the replacement.</summary>
    public bool IncludeCurrentToken { get; set; }

    /// <summary>
    /// Puts the replacement (its Token a SecureString) where its consumers read it; null writes it to the pipeline.
    /// Throws when it could not.
    /// </summary>
    public Func<CreatedApiToken, Task>? Store { get; set; }

    public Action<string> Verbose { get; set; } = _ => { };
}

/// <summary>
/// The rotation of one token after another, each with its own rollback: (1) a free slot under the token limit,
/// (2) the replacement created (under a temporary name unless -NewName is free), (3) stored, (4) proven to
/// authenticate, (5) the old token disabled (connections that used it switched to the replacement first),
/// (6) after the grace period the old token revoked (or, -KeepOld, renamed out of the way and left disabled), then
/// the replacement renamed to its final name. A failure in 2-4 revokes the replacement and leaves the old token as
/// it was; a failure or Ctrl+C later says exactly which token is live and which is disabled. The old token is only
/// ever disabled or revoked once the replacement is proven, so both are never revoked.
/// </summary>
internal sealed class TokenRotation
{
    private const int Steps = 6;
    private const int ProgressId = 1;
    private const int CountdownId = 2;
    private const string Activity = "Rotating API tokens";

    /// <summary>How long a rollback (revoking the replacement) may take; it runs even after Ctrl+C.</summary>
    private static readonly TimeSpan RollbackTimeout = TimeSpan.FromSeconds(30);

    private readonly IPipelineChannel _channel;
    private readonly ConnectionScope _scope;
    private readonly TokenRotationOptions _options;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private int _ordinal;
    private int _done;
    private int _failed;
    private int _skipped;
    private TaskCompletionSource<string?> _stopReport = Completed();

    public TokenRotation(IPipelineChannel channel, ConnectionScope scope, TokenRotationOptions options)
    {
        _channel = channel;
        _scope = scope;
        _options = options;
    }

    /// <summary>How many tokens the run has, when known (progress shows "n of total").</summary>
    public long? Total { get; set; }

    /// <summary>Rotates each token in turn; a failure is that token's error and the next one goes on.</summary>
    /// <returns>The replacements (as the service describes them, without values) of the tokens rotated.</returns>
    public async Task<IReadOnlyList<ApiToken>> RotateAsync(IReadOnlyList<ApiToken> tokens, CancellationToken cancellationToken)
    {
        var rotated = new List<ApiToken>();
        foreach (ApiToken token in tokens)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!_seen.Add($"{token.Connection?.Uri} {token.AccountId} {token.Id}"))
            {
                continue;
            }

            if (await RotateOneAsync(token).ConfigureAwait(false) is { } replacement)
            {
                _done++;
                rotated.Add(replacement);
            }
        }

        return rotated;
    }

    /// <summary>
    /// After Ctrl+C: what the rotation then running left (which token is live, which disabled), once it knows;
    /// null when none was running or it left nothing to say. The pipeline no longer takes a warning then, so the
    /// cmdlet shows it on the host.
    /// </summary>
    public Task<string?> StopReport => Volatile.Read(ref _stopReport).Task;

    /// <summary>The end of the run: progress closed, one summary line.</summary>
    public void Complete(int lookupFailures)
    {
        _channel.QueueProgress(new ProgressRecord(ProgressId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
        _channel.QueueInformation($"Rotated: {_done}, failed: {_failed + lookupFailures}, skipped: {_skipped} (declined, or used by a connection).");
    }

    private async Task<ApiToken?> RotateOneAsync(ApiToken old)
    {
        var report = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _stopReport, report);
        try
        {
            return await RotateStepsAsync(old).ConfigureAwait(false);
        }
        finally
        {
            report.TrySetResult(null);
        }
    }

    private static TaskCompletionSource<string?> Completed()
    {
        var done = new TaskCompletionSource<string?>();
        done.SetResult(null);
        return done;
    }

    /// <summary>Ctrl+C stopped the rotation: the warning (if the pipeline still takes it) and the report for the host.</summary>
    private void Stopped(string message)
    {
        _channel.QueueWarning(message);
        Volatile.Read(ref _stopReport).TrySetResult(message);
    }

    private async Task<ApiToken?> RotateStepsAsync(ApiToken old)
    {
        AtomSphereConnection via = old.Connection!;
        string target = ApiTokenMapper.Describe(old);
        int ordinal = ++_ordinal;

        if (!ApiTokenNames.AreEqual(old.UserId, via.UserId))
        {
            return await FailAsync(ApiErrors.NotOwned(old, via)).ConfigureAwait(false);
        }

        AtomSphereConnection[] users = TokenActionRun.ConnectionsUsing(_scope, old);
        if (users.Length > 0 && !_options.IncludeCurrentToken)
        {
            _skipped++;
            await _channel.WriteErrorAsync(ApiErrors.TokenInUseForRotation(old, users)).ConfigureAwait(false);
            return null;
        }

        string finalName = _options.NewName ?? old.Name;
        bool createdUnderFinalName = _options.NewName is not null && !ApiTokenNames.AreEqual(_options.NewName, old.Name);
        string createName = createdUnderFinalName ? finalName : Suffixed(old.Name, ".rotating-" + Guid.NewGuid().ToString("n").Substring(0, 6));
        string asked = Total is > 1 ? $"{target} (item {ordinal} of {Total})" : target;
        string ending = _options.KeepOld ? "keep this one disabled" : "revoke this one";
        string grace = _options.GracePeriod > TimeSpan.Zero ? $" after {_options.GracePeriod}" : "";
        if (!await _channel.ShouldProcessAsync(asked,
                $"Rotate API token: create a replacement named '{finalName}', store and prove it, disable this token, then {ending}{grace}", force: false).ConfigureAwait(false))
        {
            _skipped++;
            return null;
        }

        CancellationToken stop = _channel.StopToken;
        Api.AtomSphereClient client = via.Session.Client;

        // (1) A free slot. The limit is the service's (5 on the platform, configurable on a local server), and only the
        // service can confirm a slot atomically: it refuses the create of step 2 when there is none, changing nothing.
        Step(ordinal, target, 1, $"counting the tokens of {via.UserId} (the replacement needs a free slot)");
        long held;
        try
        {
            Api.QueryPage page = await client.QueryAsync(Api.QueryExpression.Compare("userId", "EQUALS", via.UserId), stop).ConfigureAwait(false);
            held = page.NumberOfResults;
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, stop))
        {
            return await FailAsync(Failed(old, exception, $"Could not rotate API token {target}: step 1 (checking for a free token slot) failed: {Reason(exception)} Nothing was changed.")).ConfigureAwait(false);
        }

        _options.Verbose($"{via.UserId} holds {held} token(s).");

        // (2) The replacement.
        Step(ordinal, target, 2, $"creating the replacement '{createName}' (refused, changing nothing, without a free slot)");
        Api.CreatedApiToken created;
        try
        {
            created = await client.CreateTokenAsync(createName, stop).ConfigureAwait(false);
        }
        catch (Api.ApiException limit) when (limit.Kind == Api.ApiErrorKind.TokenLimitReached)
        {
            return await FailAsync(ApiErrors.RotationLimit(old, via.UserId, held, limit)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Stopped($"Rotation of API token {target} was stopped while the replacement '{createName}' was being created: the old token is unchanged and live. " +
                await RevokeIfCreatedAsync(client, via.UserId, createName).ConfigureAwait(false));
            throw;
        }
        catch (Exception exception)
        {
            return await FailAsync(Failed(old, exception, $"Could not rotate API token {target}: step 2 (creating the replacement '{createName}') failed: {Reason(exception)} The old token is unchanged.")).ConfigureAwait(false);
        }

        Api.ApiToken made = created.Token;
        string replacement = $"'{made.Name}' (id {made.Id})";
        CreatedApiToken handed = ApiTokenMapper.ToPublic(created, via, asPlainText: false);

        // (3) Stored where the consumers read it (or written to the pipeline).
        Step(ordinal, target, 3, _options.Store is null ? $"writing the replacement {replacement} to the pipeline" : $"storing the replacement {replacement} (-Store)");
        try
        {
            if (_options.Store is { } store)
            {
                await store(handed).ConfigureAwait(false);
            }
            else
            {
                await _channel.WriteObjectAsync(handed).ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            return await RollBackAsync(old, target, made, 3, "storing the replacement", exception, ErrorCategory.WriteError).ConfigureAwait(false);
        }

        // (4) Proven: the replacement's value authenticates against the same service, with the same options.
        Step(ordinal, target, 4, $"proving that the replacement {replacement} authenticates");
        var switched = new List<(AtomSphereConnection Connection, Api.AtomSphereClient Client)>();
        Api.AtomSphereClient prover = ClientFor(via, created.Value);
        try
        {
            await prover.GetAccountAsync(stop).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            prover.Dispose();
            return await RollBackAsync(old, target, made, 4, "proving that the replacement authenticates", exception, null).ConfigureAwait(false);
        }

        // (5) The connections that used the old token go on with the replacement, then the old token is disabled.
        foreach (AtomSphereConnection user in users)
        {
            Api.AtomSphereClient next = ReferenceEquals(user, via) && prover is not null ? prover : ClientFor(user, created.Value);
            if (ReferenceEquals(next, prover))
            {
                prover = null!;
            }

            user.Session.SwitchCredential(next, made.TokenPrefix, made.Id);
            _options.Verbose($"Connection {user.Id} now authenticates with the replacement {replacement}.");
        }

        prover?.Dispose();
        Step(ordinal, target, 5, $"disabling the old token {target}");
        client = via.Session.Client;
        try
        {
            await client.UpdateTokenAsync(old.Id, null, Api.ApiTokenStatus.Disabled, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Stopped($"Rotation of API token {target} was stopped while the old token was being disabled: the replacement {replacement} is stored, proven and live; " +
                $"the old token may still be enabled (check it with Get-ApiToken -Id {old.Id}, then Remove-ApiToken -Id {old.Id} when its consumers have moved).");
            throw;
        }
        catch (Exception exception)
        {
            return await FailAsync(ApiErrors.RotationIncomplete(old,
                $"Rotation of API token {target} is incomplete: step 5 (disabling the old token) failed: {Reason(exception)} The replacement {replacement} is stored, proven and live; " +
                $"the old token is still enabled. Disable or remove it when its consumers have moved (Remove-ApiToken -Id {old.Id}).", exception)).ConfigureAwait(false);
        }

        // (6) The grace period, then revoked (or kept disabled), then the final name.
        if (_options.GracePeriod > TimeSpan.Zero)
        {
            Step(ordinal, target, 6, $"waiting {_options.GracePeriod} before {(_options.KeepOld ? "finishing" : "revoking the old token")}");
            try
            {
                await CountDownAsync(target, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Stopped($"Rotation of API token {target} was stopped during the grace period: the replacement {replacement} is live; the old token {target} is disabled, not revoked. " +
                    $"Revoke it with Remove-ApiToken -Id {old.Id}{(createdUnderFinalName ? "" : $", then Rename-ApiToken -Id {made.Id} -NewName '{finalName}'")}.");
                throw;
            }
        }

        string oldNow;
        if (_options.KeepOld)
        {
            oldNow = "disabled";
            if (!createdUnderFinalName)
            {
                // Names are unique per user: the kept token gives up its name to the replacement.
                string retired = Suffixed(old.Name, ".replaced-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));
                Step(ordinal, target, 6, $"renaming the old token (kept disabled) to '{retired}'");
                try
                {
                    await client.UpdateTokenAsync(old.Id, retired, null, stop).ConfigureAwait(false);
                    oldNow = $"disabled, renamed '{retired}'";
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    Stopped($"Rotation of API token {target} was stopped while the old token (disabled) was being renamed to '{retired}': the replacement {replacement} is live; the old token is disabled. " +
                        $"Check its name with Get-ApiToken -Id {old.Id}, then Rename-ApiToken -Id {made.Id} -NewName '{finalName}'.");
                    throw;
                }
                catch (Exception exception) when (ApiErrors.IsFailure(exception, stop))
                {
                    return await FailAsync(ApiErrors.RotationIncomplete(old,
                        $"Rotation of API token {target} is incomplete: renaming the old token out of the way failed: {Reason(exception)} The replacement {replacement} is live; " +
                        $"the old token is disabled under its name. Rename or remove it, then Rename-ApiToken -Id {made.Id} -NewName '{finalName}'.", exception)).ConfigureAwait(false);
                }
            }
        }
        else
        {
            Step(ordinal, target, 6, $"revoking the old token {target}");
            try
            {
                await client.RevokeTokenAsync(old.Id, stop).ConfigureAwait(false);
                oldNow = "revoked";
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Stopped($"Rotation of API token {target} was stopped while the old token was being revoked: the replacement {replacement} is live; the old token is disabled, " +
                    $"and may be revoked (check with Get-ApiToken -Id {old.Id}; Remove-ApiToken -Id {old.Id} revokes it){(createdUnderFinalName ? "" : $", then Rename-ApiToken -Id {made.Id} -NewName '{finalName}'")}.");
                throw;
            }
            catch (Exception exception) when (ApiErrors.IsFailure(exception, stop))
            {
                return await FailAsync(ApiErrors.RotationIncomplete(old,
                    $"Rotation of API token {target} is incomplete: step 6 (revoking the old token) failed: {Reason(exception)} The replacement {replacement} is live; " +
                    $"the old token is disabled, not revoked. Revoke it with Remove-ApiToken -Id {old.Id}.", exception)).ConfigureAwait(false);
            }
        }

        Api.ApiToken final = made;
        if (!createdUnderFinalName)
        {
            _options.Verbose($"Renaming the replacement {replacement} to '{finalName}'.");
            try
            {
                final = await client.UpdateTokenAsync(made.Id, finalName, null, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Stopped($"Rotation of API token {target} was stopped while the replacement {replacement} was being renamed to '{finalName}': the replacement is live; the old token is {oldNow}. " +
                    $"Rename-ApiToken -Id {made.Id} -NewName '{finalName}' finishes it if the name did not change.");
                throw;
            }
            catch (Exception exception) when (ApiErrors.IsFailure(exception, stop))
            {
                return await FailAsync(ApiErrors.RotationIncomplete(old,
                    $"Rotation of API token {target} is incomplete: renaming the replacement to '{finalName}' failed: {Reason(exception)} The replacement {replacement} is live under its temporary name; " +
                    $"the old token is {oldNow}. Rename-ApiToken -Id {made.Id} -NewName '{finalName}' finishes it.", exception)).ConfigureAwait(false);
            }
        }

        handed.Name = final.Name; // the object written in step 3 shows the final name
        _options.Verbose($"Rotated API token {target}: the replacement '{final.Name}' (id {final.Id}) is live; the old token is {oldNow}.");
        return ApiTokenMapper.ToPublic(final, via);
    }

    /// <summary>Steps 2-4 failed: the replacement is revoked (even after Ctrl+C), the old token was never touched.</summary>
    private async Task<ApiToken?> RollBackAsync(ApiToken old, string target, Api.ApiToken made, int step, string what, Exception exception, ErrorCategory? category)
    {
        bool stopped = exception is OperationCanceledException && _channel.StopToken.IsCancellationRequested;
        _options.Verbose($"Rolling back: revoking the replacement '{made.Name}' (id {made.Id}).");
        string rolledBack;
        try
        {
            using var timeout = new CancellationTokenSource(RollbackTimeout);
            await old.Connection!.Session.Client.RevokeTokenAsync(made.Id, timeout.Token).ConfigureAwait(false);
            rolledBack = $"The replacement '{made.Name}' (id {made.Id}) was revoked; the old token is unchanged and live.";
        }
        catch (Exception revokeFailure)
        {
            rolledBack = $"The replacement '{made.Name}' (id {made.Id}) could not be revoked ({Reason(revokeFailure)}): revoke it with Remove-ApiToken -Id {made.Id}. The old token is unchanged and live.";
        }

        if (stopped)
        {
            Stopped($"Rotation of API token {target} was stopped at step {step} ({what}). {rolledBack}");
            throw exception;
        }

        ErrorRecord record = Failed(old, exception, $"Could not rotate API token {target}: step {step} ({what}) failed: {Reason(exception)} {rolledBack}");
        if (category is { } chosen)
        {
            record = ApiErrors.RotationFailed(old, chosen, record.Exception.Message, exception);
        }

        return await FailAsync(record).ConfigureAwait(false);
    }

    /// <summary>A create stopped by Ctrl+C may have happened: a token of that name is looked for and revoked (bounded).</summary>
    private static async Task<string> RevokeIfCreatedAsync(Api.AtomSphereClient client, string userId, string name)
    {
        try
        {
            using var timeout = new CancellationTokenSource(RollbackTimeout);
            Api.QueryPage page = await client.QueryAsync(
                Api.QueryExpression.And(Api.QueryExpression.Compare("name", "EQUALS", name), Api.QueryExpression.Compare("userId", "EQUALS", userId)), timeout.Token).ConfigureAwait(false);
            if (page.Tokens.FirstOrDefault() is not { } made)
            {
                return "No replacement was created.";
            }

            await client.RevokeTokenAsync(made.Id, timeout.Token).ConfigureAwait(false);
            return $"The replacement it had created (id {made.Id}) was revoked.";
        }
        catch (Exception exception)
        {
            return $"Whether the replacement was created could not be checked ({Reason(exception)}): if a token named '{name}' exists, revoke it (Remove-ApiToken -Name '{name}').";
        }
    }

    private async Task<ApiToken?> FailAsync(ErrorRecord record)
    {
        _failed++;
        await _channel.WriteErrorAsync(record).ConfigureAwait(false);
        return null;
    }

    /// <summary>ApiTokenRotationFailed, in the category the cause maps to.</summary>
    private static ErrorRecord Failed(ApiToken old, Exception exception, string message) =>
        ApiErrors.RotationFailed(old, ApiErrors.FromException(exception, old, "x").CategoryInfo.Category, message, exception);

    /// <summary>What went wrong, as one sentence (a script's error, or the client's message, which never holds a value).</summary>
    private static string Reason(Exception exception)
    {
        Exception shown = exception is ActionPreferenceStopException { ErrorRecord.Exception: { } inner } ? inner : exception;
        string text = shown.Message.Trim();
        return text.EndsWith(".", StringComparison.Ordinal) ? text : text + ".";
    }

    private void Step(int ordinal, string target, int step, string what)
    {
        _options.Verbose($"Rotating API token {target}: step {step} of {Steps}, {what}.");
        var record = new ProgressRecord(ProgressId, Activity, $"{target}: step {step} of {Steps}, {what}");
        if (Total is > 0 and var total)
        {
            record.PercentComplete = (int)Math.Min(100, 100 * ((ordinal - 1) * Steps + step - 1) / (total * Steps));
            record.CurrentOperation = $"Token {ordinal} of {total}";
        }

        _channel.QueueProgress(record);
    }

    private async Task CountDownAsync(string target, CancellationToken stop)
    {
        DateTime end = DateTime.UtcNow + _options.GracePeriod;
        string activity = $"Grace period before {(_options.KeepOld ? "finishing the rotation of" : "revoking")} {target}";
        try
        {
            for (TimeSpan left = _options.GracePeriod; left > TimeSpan.Zero; left = end - DateTime.UtcNow)
            {
                _channel.QueueProgress(new ProgressRecord(CountdownId, activity, $"{Math.Ceiling(left.TotalSeconds):0} s left (the old token is disabled)")
                {
                    ParentActivityId = ProgressId,
                    SecondsRemaining = (int)Math.Ceiling(left.TotalSeconds),
                    PercentComplete = (int)(100 * (1 - (left.TotalMilliseconds / _options.GracePeriod.TotalMilliseconds))),
                });
                await Task.Delay(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
            }
        }
        finally
        {
            _channel.QueueProgress(new ProgressRecord(CountdownId, activity, "Done") { ParentActivityId = ProgressId, RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>A client like the connection's (same service, account, user and options) with another value.</summary>
    private static Api.AtomSphereClient ClientFor(AtomSphereConnection connection, System.Security.SecureString value) =>
        new(connection.Session.Client.Options.WithToken(value));

    /// <summary>The name with a suffix, the name shortened (never inside a surrogate pair) to stay within the limit.</summary>
    private static string Suffixed(string name, string suffix)
    {
        int keep = Math.Min(name.Length, ApiTokenNames.MaxLength - suffix.Length);
        if (keep > 0 && keep < name.Length && char.IsHighSurrogate(name[keep - 1]))
        {
            keep--;
        }

        return name.Substring(0, keep) + suffix;
    }
}
