using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;

namespace TokenManagement.Infrastructure;

/// <summary>
/// Asks the person at an interactive host for what Connect-AtomSphere is missing, as every -Credential parameter
/// does. Returns null where nobody can answer: a host started with -NonInteractive, a host without a user interface,
/// or a console whose input is a pipe (a prompt there would read the script's next line, or hang).
/// </summary>
internal static class CredentialPrompt
{
    private const string Caption = "Connect-AtomSphere";

    public static string? AskAccountId(PSHost host)
    {
        if (!CanAsk(host))
        {
            return null;
        }

        var field = new FieldDescription("AccountId")
        {
            HelpMessage = "The account id, as in the platform's address bar (e.g. acme-A1B2C3).",
        };
        field.SetParameterType(typeof(string));
        Dictionary<string, PSObject>? answers = Ask(() => host.UI.Prompt(Caption, "Which account?", new Collection<FieldDescription> { field }));
        return answers is not null && answers.TryGetValue("AccountId", out PSObject? value) ? value?.BaseObject?.ToString()?.Trim() : null;
    }

    public static PSCredential? AskCredential(PSHost host, string accountId, string? userName)
    {
        if (!CanAsk(host))
        {
            return null;
        }

        string message = $"Account {accountId}: your user id (e.g. alice@acme.example) as the user name, and one of your API tokens as the password.";
        return Ask(() => host.UI.PromptForCredential(Caption, message, userName ?? "", ""));
    }

    private static bool CanAsk(PSHost host) =>
        host.UI is not null && !(host.Name == "ConsoleHost" && Console.IsInputRedirected);

    private static T? Ask<T>(Func<T> prompt)
        where T : class
    {
        try
        {
            return prompt();
        }
        catch (Exception exception) when (exception is HostException or InvalidOperationException or NotImplementedException or NotSupportedException)
        {
            // -NonInteractive ("PowerShell is in NonInteractive mode"), or a host that cannot prompt.
            return null;
        }
    }
}
