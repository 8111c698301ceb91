// A PowerShell host for tests that run commands in a runspace of their own (Add-Type -Path this file): it answers each
// prompt with the next of its Answers and refuses one it has no answer for (an unexpected prompt fails instead of
// hanging), records the warnings written to it, keeps the last progress status, and counts the progress records of
// child activities (a countdown).
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Threading;

namespace TokenManagementTests
{
    public sealed class TestHostUI : PSHostUserInterface
    {
        private int _childProgress;
        private string _lastStatus = "";

        public Queue<object> Answers { get; } = new Queue<object>();
        public List<string> Asked { get; } = new List<string>();
        public List<string> Warnings { get; } = new List<string>();

        /// <summary>Progress records of a child activity (ParentActivityId set), such as a countdown under a rotation.</summary>
        public int ChildProgress => Volatile.Read(ref _childProgress);

        /// <summary>The status of the last progress record written (what a long command says it is doing now).</summary>
        public string LastStatus => Volatile.Read(ref _lastStatus);

        private object Next(string prompt)
        {
            lock (Answers)
            {
                Asked.Add(prompt);
                if (Answers.Count == 0) { throw new InvalidOperationException("The command asked for " + prompt + ", and the test has no answer for it."); }
                return Answers.Dequeue();
            }
        }

        private static SecureString Secure(object answer)
        {
            if (answer is SecureString secure) { return secure; }
            var made = new SecureString();
            foreach (char c in Convert.ToString(answer, CultureInfo.InvariantCulture)) { made.AppendChar(c); }
            return made;
        }

        public override PSHostRawUserInterface RawUI => null;
        public override string ReadLine() => Convert.ToString(Next("a line (Read-Host)"), CultureInfo.InvariantCulture);
        public override SecureString ReadLineAsSecureString() => Secure(Next("a masked line (Read-Host -AsSecureString)"));

        /// <summary>The answer is a choice's hotkey, such as 'Y' or 'A'.</summary>
        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            string key = Convert.ToString(Next("a choice (" + message + ")"), CultureInfo.InvariantCulture);
            var labels = new List<string>();
            for (int i = 0; i < choices.Count; i++)
            {
                string label = choices[i].Label;
                labels.Add(label);
                int hotkey = label.IndexOf('&');
                if (hotkey >= 0 && hotkey + 1 < label.Length && string.Equals(label.Substring(hotkey + 1, 1), key, StringComparison.OrdinalIgnoreCase)) { return i; }
            }
            throw new InvalidOperationException("The answer '" + key + "' is none of the choices: " + string.Join(", ", labels));
        }

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            Credential(userName);

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            Credential(userName);

        /// <summary>The answer is a PSCredential, or the password (text or SecureString) of the user asked about.</summary>
        private PSCredential Credential(string userName)
        {
            object answer = Next("a credential (" + userName + ")");
            return answer as PSCredential ?? new PSCredential(userName, Secure(answer));
        }

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
        {
            var answers = new Dictionary<string, PSObject>();
            foreach (FieldDescription field in descriptions) { answers[field.Name] = new PSObject(Next("the field " + field.Name)); }
            return answers;
        }

        public override void WriteWarningLine(string message) { lock (Warnings) { Warnings.Add(message); } }

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
            Volatile.Write(ref _lastStatus, record.StatusDescription ?? "");
            if (record.ParentActivityId >= 0 && record.RecordType == ProgressRecordType.Processing) { Interlocked.Increment(ref _childProgress); }
        }

        public override void Write(string value) { }
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) { }
        public override void WriteLine(string value) { }
        public override void WriteErrorLine(string value) { }
        public override void WriteDebugLine(string message) { }
        public override void WriteVerboseLine(string message) { }
    }

    public sealed class TestHost : PSHost
    {
        private readonly Guid _id = Guid.NewGuid();
        public TestHostUI TestUI { get; } = new TestHostUI();
        public override PSHostUserInterface UI => TestUI;
        public override string Name => "TokenManagementTestHost";
        public override Version Version => new Version(1, 0);
        public override Guid InstanceId => _id;
        public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
        public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
        public override void SetShouldExit(int exitCode) { }
        public override void EnterNestedPrompt() { }
        public override void ExitNestedPrompt() { }
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
    }
}
