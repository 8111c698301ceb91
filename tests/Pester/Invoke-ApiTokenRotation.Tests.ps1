#Requires -Version 7.2
# Invoke-ApiTokenRotation (spec: docs/cmdlets.md): each step and each rollback, seen in the server's state (read as
# the administrator through the REST API, never through the module under test). Faults are chosen per request.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -FaultAdmin -MaxTokensPerUser 5
    $account = 'acme-rotate'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin

    function New-Name([string]$Prefix = 'rot') { "$Prefix-$([Guid]::NewGuid().ToString('n').Substring(0, 8))" }

    # A user of their own for each test (the token limit is per user), connected: the new default connection.
    function New-Rotator {
        $user = New-TestUser -Server $server -AccountId $account -UserId "$(New-Name 'user')@acme.example"
        $connection = Connect-AtomSphere -AccountId $account -Credential $user.Credential -Uri $server.Uri -RequestsPerSecond 0 -PassThru -ErrorAction Stop
        $user | Add-Member -NotePropertyName Connection -NotePropertyValue $connection -PassThru
    }

    # The user's tokens as the service holds them: "name status", sorted; revoked tokens are gone.
    function Get-State($User) {
        @(Get-ServerToken -User $admin | Where-Object userId -EQ $User.UserId | ForEach-Object { "$($_.name) $($_.status)" } | Sort-Object)
    }
    function Get-Named($User, [string]$Name) { Get-ServerToken -User $admin | Where-Object { $_.userId -eq $User.UserId -and $_.name -eq $Name } }

    function Set-FaultPlan([object[]]$Rules) {
        $body = @{ faults = @($Rules) } | ConvertTo-Json -Depth 5
        Invoke-RestMethod -Method Put -Uri "$($server.Uri)/_faults" -ContentType 'application/json' -Body $body | Out-Null
    }

    function Test-Value($User, [securestring]$Value) {
        $c = Connect-AtomSphere -AccountId $account -Credential ([pscredential]::new($User.UserId, $Value)) -Uri $server.Uri -RequestsPerSecond 0 -PassThru -ErrorAction Stop
        Disconnect-AtomSphere -Connection $c
        $true
    }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Invoke-ApiTokenRotation steps' {
    It 'creates and stores the replacement while the old token still works, then disables and revokes the old one; the replacement takes its name' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'ci-pipeline'
        $box = @{}

        $output = Invoke-ApiTokenRotation -Name 'ci-pipeline' -Connection $u.Connection -Confirm:$false -ErrorAction Stop -Store {
            param($new)
            $box.Value = $new.Token
            $box.Type = $new.GetType().FullName
            $box.StateAtStore = Get-State $u
            $box.TempName = $new.Name
        }

        $output | Should -BeNullOrEmpty -Because 'with -Store and without -PassThru nothing is written'
        $box.Value | Should -BeOfType [securestring]
        $box.Type | Should -Be 'TokenManagement.CreatedApiToken'
        $box.TempName | Should -BeLike 'ci-pipeline.rotating-*'
        $box.StateAtStore | Should -Be (@('bootstrap ENABLED', 'ci-pipeline ENABLED', "$($box.TempName) ENABLED") | Sort-Object) -Because 'step 3: the old token is untouched while the replacement is stored'
        Get-ServerToken -User $admin -Id $old.id | Should -BeNullOrEmpty -Because 'the old token is revoked'
        Get-State $u | Should -Be @('bootstrap ENABLED', 'ci-pipeline ENABLED')
        (Get-Named $u 'ci-pipeline').id | Should -Not -Be $old.id
        Get-AuthenticationStatus -User $u -Token $old.token | Should -Be 401
        Test-Value $u $box.Value | Should -BeTrue -Because 'the stored value connects'
    }

    It 'announces each step in -Verbose, in order, and never shows the value' {
        $u = New-Rotator
        New-ServerToken -User $u -Name 'etl' | Out-Null
        $box = @{}

        $verbose = Invoke-ApiTokenRotation -Name 'etl' -Connection $u.Connection -Confirm:$false -Verbose -ErrorAction Stop -Store { param($new) $box.Value = $new.Token } 4>&1

        $steps = @($verbose | ForEach-Object Message | Where-Object { $_ -match 'step (\d) of 6' } | ForEach-Object { [int]$Matches[1] })
        $steps | Select-Object -Unique | Should -Be @(1, 2, 3, 4, 5, 6)
        $plain = $box.Value | ConvertTo-PlainText
        ($verbose | ForEach-Object Message) -join "`n" | Should -Not -BeLike "*$plain*"
    }

    It 'without -Store writes the replacement as New-ApiToken does, its Token a SecureString, named as the old token' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'deploy'

        $output = @(Invoke-ApiTokenRotation -Name 'deploy' -Connection $u.Connection -Confirm:$false -ErrorAction Stop)

        $output | Should -HaveCount 1
        $output[0] | Should -BeOfType ([TokenManagement.CreatedApiToken])
        $output[0].Token | Should -BeOfType [securestring]
        $output[0].Name | Should -Be 'deploy'
        $output[0].Id | Should -Not -Be $old.id
        (Get-Named $u 'deploy').id | Should -Be $output[0].Id
        Test-Value $u $output[0].Token | Should -BeTrue
    }

    It '-Store with -PassThru writes the rotated replacement without a value' {
        $u = New-Rotator
        New-ServerToken -User $u -Name 'svc' | Out-Null

        $output = @(Invoke-ApiTokenRotation -Name 'svc' -Connection $u.Connection -Confirm:$false -PassThru -ErrorAction Stop -Store { param($new) })

        $output | Should -HaveCount 1
        $output[0].GetType().FullName | Should -Be 'TokenManagement.ApiToken'
        $output[0].Name | Should -Be 'svc'
        $output[0].Status | Should -Be 'Enabled'
    }

    It '-NewName names the replacement, created directly under it' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'old-name'
        $box = @{}

        Invoke-ApiTokenRotation -Id $old.id -NewName 'new-name' -Connection $u.Connection -Confirm:$false -ErrorAction Stop -Store { param($new) $box.Name = $new.Name }

        $box.Name | Should -Be 'new-name'
        Get-State $u | Should -Be @('bootstrap ENABLED', 'new-name ENABLED')
    }

    It '-WhatIf changes nothing' {
        $u = New-Rotator
        New-ServerToken -User $u -Name 'ci' | Out-Null
        $before = Get-State $u
        $box = @{ Called = $false }

        Invoke-ApiTokenRotation -Name 'ci' -Connection $u.Connection -WhatIf -Store { param($new) $box.Called = $true }

        Get-State $u | Should -Be $before
        $box.Called | Should -BeFalse
    }

    It 'refuses with ApiTokenLimitReached, before anything changes, when the user has no free slot' {
        $u = New-Rotator
        1..4 | ForEach-Object { New-ServerToken -User $u -Name "full-$_" } | Out-Null
        $before = Get-State $u
        $box = @{ Called = $false }

        Invoke-ApiTokenRotation -Name 'full-1' -Connection $u.Connection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -Store { param($new) $box.Called = $true }

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenLimitReached,*'
        $errors[0].Exception.Message | Should -BeLike '*holds 5 tokens*Nothing was changed*'
        $box.Called | Should -BeFalse
        Get-State $u | Should -Be $before
    }

    It '-KeepOld leaves the old token disabled, renamed out of the way; the replacement takes its name' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'reporting'

        Invoke-ApiTokenRotation -Name 'reporting' -KeepOld -Connection $u.Connection -Confirm:$false -ErrorAction Stop -Store { param($new) }

        $kept = Get-ServerToken -User $admin -Id $old.id
        $kept.status | Should -Be 'DISABLED'
        $kept.name | Should -BeLike 'reporting.replaced-*'
        (Get-Named $u 'reporting').status | Should -Be 'ENABLED'
        Remove-ApiToken -Id $old.id -Connection $u.Connection -Confirm:$false -ErrorAction Stop
        Get-ServerToken -User $admin -Id $old.id | Should -BeNullOrEmpty
    }

    It '-GracePeriod takes seconds, waits with the old token disabled, then revokes it' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'graceful'

        $verbose = Invoke-ApiTokenRotation -Name 'graceful' -GracePeriod 1 -Connection $u.Connection -Confirm:$false -Verbose -ErrorAction Stop -Store { param($new) } 4>&1

        ($verbose | ForEach-Object Message) -join "`n" | Should -BeLike '*waiting 00:00:01 before revoking the old token*'
        Get-ServerToken -User $admin -Id $old.id | Should -BeNullOrEmpty
        (Get-Named $u 'graceful').status | Should -Be 'ENABLED'
    }

    It '-GracePeriod refuses a negative or too long period at binding' {
        { Invoke-ApiTokenRotation -Name 'x' -GracePeriod -1 -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
        { Invoke-ApiTokenRotation -Name 'x' -GracePeriod (New-TimeSpan -Days 2) -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }
}

Describe 'Invoke-ApiTokenRotation rollback' {
    AfterEach { Invoke-RestMethod -Method Delete -Uri "$($server.Uri)/_faults" | Out-Null }

    It 'a -Store that throws: the replacement is revoked, the old token is left as it was, the error names step 3' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'vaulted'
        $before = Get-State $u

        Invoke-ApiTokenRotation -Name 'vaulted' -Connection $u.Connection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -Store { param($new) throw 'the vault is down' }

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenRotationFailed,*'
        $errors[0].Exception.Message | Should -BeLike '*step 3 (storing the replacement)*the vault is down*was revoked*unchanged*'
        (Get-ErrorTargetId $errors[0]) | Should -Be $old.id
        Get-State $u | Should -Be $before
        Get-AuthenticationStatus -User $u -Token $old.token | Should -Be 200
    }

    It 'a -Store whose command writes an error fails the step like one that throws' {
        $u = New-Rotator
        New-ServerToken -User $u -Name 'soft' | Out-Null
        $before = Get-State $u

        Invoke-ApiTokenRotation -Name 'soft' -Connection $u.Connection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -Store { param($new) Write-Error 'cannot write the secret' }

        $errors | Should -HaveCount 1
        $errors[0].Exception.Message | Should -BeLike '*step 3*cannot write the secret*'
        Get-State $u | Should -Be $before
    }

    It 'a replacement that does not authenticate (disabled in -Store) is revoked; the error names step 4' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'proof'
        $before = Get-State $u

        Invoke-ApiTokenRotation -Name 'proof' -Connection $u.Connection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -Store {
            param($new)
            Set-ServerToken -User $u -Id $new.Id -Status DISABLED | Out-Null
        }

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenRotationFailed,*'
        $errors[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $errors[0].Exception.Message | Should -BeLike '*step 4 (proving that the replacement authenticates)*was revoked*'
        Get-State $u | Should -Be $before
        (Get-ServerToken -User $admin -Id $old.id).status | Should -Be 'ENABLED'
    }

    It 'the service faulting on the proof (500): rolled back' {
        $u = New-Rotator
        New-ServerToken -User $u -Name 'fault-proof' | Out-Null
        $before = Get-State $u
        Set-FaultPlan @{ method = 'GET'; path = "*/$account/Account/*"; fault = 'internal-error' }

        Invoke-ApiTokenRotation -Name 'fault-proof' -Connection $u.Connection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -Store { param($new) }

        $errors | Should -HaveCount 1
        $errors[0].Exception.Message | Should -BeLike '*step 4*was revoked*'
        Get-State $u | Should -Be $before
    }

    It 'the service faulting on the create (500): nothing changed, the error names step 2' {
        $u = New-Rotator
        New-ServerToken -User $u -Name 'fault-create' | Out-Null
        $before = Get-State $u
        Set-FaultPlan @{ method = 'POST'; path = "*/$account/ApiToken"; fault = 'internal-error' }

        Invoke-ApiTokenRotation -Name 'fault-create' -Connection $u.Connection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -Store { param($new) }

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenRotationFailed,*'
        $errors[0].Exception.Message | Should -BeLike '*step 2 (creating the replacement*'
        Get-State $u | Should -Be $before
    }

    It 'the service faulting on disabling the old token: both live, the error says so' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'fault-disable'
        Set-FaultPlan @{ method = 'POST'; path = "*/ApiToken/$($old.id)"; fault = 'internal-error' }

        Invoke-ApiTokenRotation -Name 'fault-disable' -Connection $u.Connection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -Store { param($new) }

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenRotationIncomplete,*'
        $errors[0].Exception.Message | Should -BeLike "*step 5*proven and live*still enabled*Remove-ApiToken -Id $($old.id)*"
        (Get-ServerToken -User $admin -Id $old.id).status | Should -Be 'ENABLED'
        @(Get-ServerToken -User $admin | Where-Object { $_.userId -eq $u.UserId -and $_.name -like 'fault-disable.rotating-*' -and $_.status -eq 'ENABLED' }) | Should -HaveCount 1
    }

    It 'the service faulting on revoking the old token: the replacement is live, the old one disabled, never both revoked' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'fault-revoke'
        Set-FaultPlan @{ method = 'DELETE'; path = "*/ApiToken/$($old.id)"; fault = 'internal-error' }

        Invoke-ApiTokenRotation -Name 'fault-revoke' -Connection $u.Connection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -Store { param($new) }

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenRotationIncomplete,*'
        $errors[0].Exception.Message | Should -BeLike "*step 6*is live*disabled, not revoked*Remove-ApiToken -Id $($old.id)*"
        (Get-ServerToken -User $admin -Id $old.id).status | Should -Be 'DISABLED'
        @(Get-ServerToken -User $admin | Where-Object { $_.userId -eq $u.UserId -and $_.name -like 'fault-revoke.rotating-*' -and $_.status -eq 'ENABLED' }) | Should -HaveCount 1
    }
}

Describe 'Invoke-ApiTokenRotation stopped with Ctrl+C' {
    BeforeAll {
        # Runs the rotation in a runspace of its own (after Ctrl+C the pipeline takes no more output: the cmdlet says it
        # on the host, which this one records), stops it (Ctrl+C) once -Until holds, returns the host's warnings.
        # -Upstream: what goes before the rotation, up to the pipe, and pipes it the token's name.
        function Invoke-StoppedRotation($User, [string]$Name, [string]$Arguments, [scriptblock]$Until, [string]$Upstream) {
            if (-not ('TokenManagementTests.TestHost' -as [type])) { Add-Type -Path (Join-Path $PSScriptRoot 'TestHost.cs') }
            $recorder = [TokenManagementTests.TestHost]::new()
            $runspace = [runspacefactory]::CreateRunspace($recorder)
            $runspace.Open()
            $ps = [powershell]::Create()
            $ps.Runspace = $runspace
            try {
                $ps.AddScript("param(`$ModulePath, `$Uri, `$Account, `$Credential)
                    Import-Module `$ModulePath
                    `$c = Connect-AtomSphere -AccountId `$Account -Credential `$Credential -Uri `$Uri -RequestsPerSecond 0 -PassThru
                    $(if ($Upstream) { "$Upstream Invoke-ApiTokenRotation" } else { "Invoke-ApiTokenRotation -Name '$Name'" }) -Connection `$c -Confirm:`$false $Arguments").AddParameters(@{
                        ModulePath = (Get-TestModulePath); Uri = $server.Uri; Account = $account; Credential = $User.Credential }) | Out-Null
                $running = $ps.BeginInvoke()
                $deadline = [DateTime]::UtcNow.AddSeconds(60)
                while (-not (& $Until $recorder) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
                $ps.Stop()
                try { $ps.EndInvoke($running) } catch { }
                @($recorder.TestUI.Warnings)
            }
            finally { $ps.Dispose(); $runspace.Dispose() }
        }
    }

    It 'while -Store runs: the replacement is revoked, the old token left as it was, and the warning says so' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'interrupted'
        $before = Get-State $u

        $storing = Join-Path $TestDrive 'storing'
        $warnings = @(Invoke-StoppedRotation $u 'interrupted' "-Store { param(`$new) Set-Content -Path '$storing' -Value 1; Start-Sleep -Seconds 600 }" { Test-Path $storing })

        $warnings | Should -HaveCount 1
        $warnings[0] | Should -BeLike '*stopped at step 3 (storing the replacement)*was revoked; the old token is unchanged and live*'
        Get-State $u | Should -Be $before
        (Get-ServerToken -User $admin -Id $old.id).status | Should -Be 'ENABLED'
    }

    It 'while -Store runs, when the stop reaches the rotation long after -Store: the rollback still says it was stopped' {
        # Ctrl+C stops the innermost pipeline (-Store's) first, then each command of the rotation's pipeline in order:
        # an upstream command that takes 3 s to stop makes the rotation's own stop come after -Store has ended and
        # the rollback has begun, the order that otherwise happens only on a busy machine.
        if (-not ('RotationTests.SlowStopCommand' -as [type])) {
            Add-Type -TypeDefinition @'
using System.Management.Automation;
namespace RotationTests
{
    [Cmdlet(VerbsCommon.Get, "SlowStop")]
    public sealed class SlowStopCommand : PSCmdlet
    {
        [Parameter(Position = 0)] public string Name { get; set; }
        protected override void ProcessRecord() { WriteObject(Name); }
        protected override void StopProcessing() { System.Threading.Thread.Sleep(3000); }
    }
}
'@
        }
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'stopped-late'
        $before = Get-State $u
        $storing = Join-Path $TestDrive 'storing-late'

        $warnings = @(Invoke-StoppedRotation $u 'stopped-late' "-Store { param(`$new) Set-Content -Path '$storing' -Value 1; Start-Sleep -Seconds 600 }" { Test-Path $storing } `
                -Upstream "Import-Module -Assembly ([RotationTests.SlowStopCommand].Assembly); Get-SlowStop 'stopped-late' |")

        $warnings | Should -HaveCount 1
        $warnings[0] | Should -BeLike '*stopped at step 3 (storing the replacement)*was revoked; the old token is unchanged and live*'
        Get-State $u | Should -Be $before
        (Get-ServerToken -User $admin -Id $old.id).status | Should -Be 'ENABLED'
    }

    It 'while the old token is being disabled: both tokens live, and the warning says the old one may still be enabled' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'stopped-disabling'
        # The disable request waits at the service until the client gives up on it (Ctrl+C cancels it).
        Set-FaultPlan @{ method = 'POST'; path = "*/ApiToken/$($old.id)"; fault = 'delay'; delayMs = 60000 }
        try {
            $warnings = @(Invoke-StoppedRotation $u 'stopped-disabling' '-Store { param($new) }' { param($recorder) $recorder.TestUI.LastStatus -like '*step 5 of 6*' })
        }
        finally { Invoke-RestMethod -Method Delete -Uri "$($server.Uri)/_faults" | Out-Null }

        $warnings | Should -HaveCount 1
        $warnings[0] | Should -BeLike "*stopped while the old token was being disabled*is stored, proven and live*may still be enabled*Remove-ApiToken -Id $($old.id)*"
        (Get-ServerToken -User $admin -Id $old.id).status | Should -Be 'ENABLED' -Because 'the cancelled request changed nothing'
        @(Get-ServerToken -User $admin | Where-Object { $_.userId -eq $u.UserId -and $_.name -like 'stopped-disabling.rotating-*' -and $_.status -eq 'ENABLED' }) | Should -HaveCount 1
    }

    It 'during the grace period: the warning says which token is live and which is disabled, and so is the state' {
        $u = New-Rotator
        $old = New-ServerToken -User $u -Name 'stopped'

        # Stopped once the countdown shows: the old token is then disabled and the rotation waits.
        $warnings = @(Invoke-StoppedRotation $u 'stopped' '-GracePeriod 600 -Store { param($new) }' { param($recorder) $recorder.TestUI.ChildProgress -gt 0 })

        $warnings | Should -HaveCount 1
        $warnings[0] | Should -BeLike "*stopped during the grace period*is live*'stopped' (id $($old.id)*is disabled, not revoked*Remove-ApiToken -Id $($old.id)*"
        (Get-ServerToken -User $admin -Id $old.id).status | Should -Be 'DISABLED'
        @(Get-ServerToken -User $admin | Where-Object { $_.userId -eq $u.UserId -and $_.name -like 'stopped.rotating-*' -and $_.status -eq 'ENABLED' }) | Should -HaveCount 1
    }
}

Describe 'Invoke-ApiTokenRotation targets' {
    It 'rotates many tokens one after another; one failing -Store fails only that one' {
        $u = New-Rotator
        $made = 1..3 | ForEach-Object { New-ServerToken -User $u -Name "bulk-$_" }
        $box = @{}
        $calls = @{ Count = 0 }

        Get-ApiToken -Name 'bulk-*' -Connection $u.Connection | Invoke-ApiTokenRotation -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -InformationVariable info -Store {
            param($new)
            $calls.Count++
            if ($calls.Count -eq 2) { throw 'second store fails' }
            $box[$new.Id] = $new.Token
        } 6>$null

        $errors | Should -HaveCount 1
        $errors[0].Exception.Message | Should -BeLike '*step 3*second store fails*'
        Get-State $u | Should -Be @('bootstrap ENABLED', 'bulk-1 ENABLED', 'bulk-2 ENABLED', 'bulk-3 ENABLED')
        $remaining = @($made | Where-Object { Get-ServerToken -User $admin -Id $_.id })
        $remaining | Should -HaveCount 1 -Because 'the failed item keeps its old token'
        $box.Count | Should -Be 2
        "$info" | Should -BeLike '*Rotated: 2, failed: 1*'
    }

    It 'an administrator naming another user''s token is refused with ApiTokenNotOwned, nothing changed' {
        $u = New-Rotator
        $made = New-ServerToken -User $u -Name 'someone-else'
        $before = Get-State $u
        $adminConnection = Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -RequestsPerSecond 0 -PassThru

        Invoke-ApiTokenRotation -Id $made.id -Connection $adminConnection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -Store { param($new) }

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotOwned,*'
        $errors[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        Get-State $u | Should -Be $before
        @(Get-ServerToken -User $admin | Where-Object userId -EQ $admin.UserId) | Should -HaveCount 1 -Because 'no replacement was created for the administrator'
    }

    It 'the connection''s own token is refused without -IncludeCurrentToken, and nothing changes' {
        $u = New-Rotator
        $before = Get-State $u

        Invoke-ApiTokenRotation -Name 'bootstrap' -Connection $u.Connection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors -Store { param($new) }

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenInUse,*'
        Get-State $u | Should -Be $before
        Get-ApiToken -Connection $u.Connection -ErrorAction Stop | Should -Not -BeNullOrEmpty
    }

    It 'with -IncludeCurrentToken the connection goes on with the replacement: same object and id, the new prefix' {
        $u = New-Rotator
        $connection = $u.Connection
        $oldId = (Get-Named $u 'bootstrap').id
        $box = @{}

        Invoke-ApiTokenRotation -Name 'bootstrap' -IncludeCurrentToken -Connection $connection -Confirm:$false -ErrorAction Stop -Store { param($new) $box.New = $new } -WarningAction SilentlyContinue

        Get-ServerToken -User $admin -Id $oldId | Should -BeNullOrEmpty -Because 'the old token is revoked'
        $now = Get-Named $u 'bootstrap'
        $now.id | Should -Be $box.New.Id
        $connection.State | Should -Be 'Open'
        (Get-AtomSphereConnection | Where-Object Id -EQ $connection.Id) | Should -Be $connection
        $connection.TokenPrefix | Should -Be $box.New.TokenPrefix
        @(Get-ApiToken -Connection $connection -ErrorAction Stop).Name | Should -Contain 'bootstrap'
        Remove-ApiToken -Name 'bootstrap' -Connection $connection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable inUse
        $inUse[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenInUse,*' -Because 'the connection knows its new token'
    }
}
