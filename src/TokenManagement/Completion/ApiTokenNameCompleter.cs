using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using TokenManagement.Infrastructure;
using Api = TokenManagement.Client;

namespace TokenManagement;

/// <summary>
/// Completes a -Name that takes wildcards (Get-, Enable-, Disable-, Remove-ApiToken) with token names, through the
/// -Connection on the command line or the default connection: the caller's own names, every user's with -AllUsers,
/// the named users' with -UserId. A completed name is escaped so that it matches only itself; see
/// <see cref="TokenManagement.Completion.CompletionQuery"/> for the time bound.
/// </summary>
public sealed class ApiTokenNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.CompletionQuery.Safely(() => Completion.NameCompletion.Complete(wordToComplete, fakeBoundParameters, wildcards: true));
}

/// <summary>Completes a -Name that is taken literally (Rename-ApiToken) with the names of the caller's own tokens.</summary>
public sealed class ApiTokenLiteralNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.CompletionQuery.Safely(() => Completion.NameCompletion.Complete(wordToComplete, fakeBoundParameters, wildcards: false));
}

/// <summary>Completes -UserId (Get-ApiToken) with the ids of the users whose tokens the caller can see.</summary>
public sealed class ApiTokenUserIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.CompletionQuery.Safely(() => Completion.NameCompletion.CompleteUserIds(wordToComplete, fakeBoundParameters));
}

/// <summary>Completes -Id with the ids of the tokens the caller can see; the list shows each token's name and user.</summary>
public sealed class ApiTokenIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.CompletionQuery.Safely(() => Completion.NameCompletion.CompleteIds(wordToComplete, fakeBoundParameters));
}
