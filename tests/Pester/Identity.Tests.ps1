#Requires -Version 7.2
# Never the wrong token, never through the wrong identity (issue 7): each Describe is one defect that was
# reproduced on the module before the fix. Server state is read back directly, as the administrator.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 100
    $account = 'acme-identity'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example'
    $adminConnection = Connect-TestUser $admin
    $bobConnection = Connect-TestUser $bob
    $aliceConnection = Connect-TestUser $alice   # the default

    function New-Name([string]$Prefix = 'id') { "$Prefix-$([Guid]::NewGuid().ToString('n').Substring(0, 8))" }
    function Test-ServerToken([string]$Id) { $null -ne (Get-ServerToken -User $admin -Id $Id) }
    function Get-ServerStatus([string]$Id) { (Get-ServerToken -User $admin -Id $Id).status }
    function Use-Default($Connection) { Select-AtomSphereConnection -Connection $Connection }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'A token remembers the connection it came from' {
    AfterEach { Use-Default $aliceConnection }

    It 'carries its connection, which the default views do not show' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $token = Get-ApiToken -Id $made.id -Connection $aliceConnection
        $token.Connection | Should -Be $aliceConnection
        ($token | Format-Table | Out-String) | Should -Not -Match 'Connection'
        ($token | Format-List | Out-String) | Should -Not -Match 'Connection'
    }

    It 'revokes through the token''s own connection while another user''s connection is the default' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        Use-Default $bobConnection

        Get-ApiToken -Connection $aliceConnection -Id $made.id | Remove-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures | Should -BeNullOrEmpty -Because 'bob cannot see the token: a DELETE through bob would have been a 404'
        Test-ServerToken $made.id | Should -BeFalse
    }

    It 'disables, enables and renames through the token''s own connection' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        Use-Default $bobConnection
        $token = Get-ApiToken -Connection $aliceConnection -Id $made.id

        $token | Disable-ApiToken -Confirm:$false -ErrorAction Stop
        Get-ServerStatus $made.id | Should -Be 'DISABLED'
        $token | Enable-ApiToken -Confirm:$false -ErrorAction Stop
        Get-ServerStatus $made.id | Should -Be 'ENABLED'
        $renamed = $token | Rename-ApiToken -NewName (New-Name 'renamed') -PassThru -Confirm:$false -ErrorAction Stop
        (Get-ServerToken -User $admin -Id $made.id).name | Should -Be $renamed.Name
        $renamed.Connection | Should -Be $aliceConnection
    }

    It 'with -Connection of another user looks the token up again through it, and says it is not found' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $token = Get-ApiToken -Connection $aliceConnection -Id $made.id

        $token | Remove-ApiToken -Connection $bobConnection -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        Get-ErrorTargetId $failures[0] | Should -Be $made.id
        Test-ServerToken $made.id | Should -BeTrue
    }

    It 'with -Connection of an administrator acts through the administrator, and the output carries that connection' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $token = Get-ApiToken -Connection $aliceConnection -Id $made.id

        $output = $token | Disable-ApiToken -Connection $adminConnection -PassThru -Confirm:$false -ErrorAction Stop

        $output.Connection | Should -Be $adminConnection
        Get-ServerStatus $made.id | Should -Be 'DISABLED'
    }

    It 'refuses a token whose connection was closed with NotConnected for that item, and the pipeline goes on' {
        $other = Connect-TestUser $alice
        $made = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name) }
        $stale = Get-ApiToken -Connection $other -Id $made[0].id
        $fresh = Get-ApiToken -Connection $aliceConnection -Id $made[1].id
        Disconnect-AtomSphere -Connection $other

        $stale, $fresh | Remove-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'NotConnected,*'
        Get-ErrorTargetId $failures[0] | Should -Be $made[0].id
        Test-ServerToken $made[0].id | Should -BeTrue
        Test-ServerToken $made[1].id | Should -BeFalse
    }

    It 'needs no default connection for tokens piped from Get-ApiToken' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $token = Get-ApiToken -Connection $aliceConnection -Id $made.id
        $spare = Connect-TestUser $bob
        Disconnect-AtomSphere -Connection $spare   # the default is now none

        $token | Disable-ApiToken -Confirm:$false -ErrorAction Stop

        Get-ServerStatus $made.id | Should -Be 'DISABLED'
        { Get-ApiToken -ErrorAction Stop } | Should -Throw -ErrorId 'NotConnected,*'
    }
}

Describe 'Only tokens the module wrote are believed' {
    It 'revokes the real token of a piped hashtable, and the confirmation and output name the real token' {
        $made = New-ServerToken -User $alice -Name (New-Name 'real')

        $records = @(@{ Id = $made.id; Name = 'harmless'; UserId = 'someone' } |
                Remove-ApiToken -Confirm:$false -PassThru -Verbose 4>&1)

        $output = @($records | Where-Object { $_ -is [TokenManagement.ApiToken] })
        $output | Should -HaveCount 1
        $output[0].Name | Should -Be $made.name
        $output[0].UserId | Should -Be $alice.UserId
        $confirmation = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*Revoke API token*' })
        $confirmation | Should -HaveCount 1
        $confirmation[0].Message | Should -BeLike "*'$($made.name)' (id $($made.id), user $($alice.UserId))*"
        $confirmation[0].Message | Should -Not -BeLike '*harmless*'
        Test-ServerToken $made.id | Should -BeFalse
    }

    It 'looks up PSCustomObjects, Import-Csv rows and deserialized tokens by Id' {
        $made = 1..3 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name 'real') }
        $csv = Join-Path $TestDrive 'rows.csv'
        [pscustomobject]@{ Id = $made[1].id; Name = 'fake'; UserId = 'nobody' } | Export-Csv -Path $csv
        $xml = Join-Path $TestDrive 'token.xml'
        Get-ApiToken -Id $made[2].id | Export-Clixml -Path $xml
        $inputs = @(
            [pscustomobject]@{ Id = $made[0].id; Name = 'fake'; UserId = 'nobody'; Status = 'Disabled' }
            Import-Csv -Path $csv
            Import-Clixml -Path $xml
        )

        $output = @($inputs | Disable-ApiToken -Confirm:$false -PassThru -ErrorAction Stop)

        $output.Name | Should -Be $made.name
        $output.Connection | Should -Be @($aliceConnection, $aliceConnection, $aliceConnection)
        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'DISABLED' }
    }

    It 'refuses an object with neither Id nor Name with InvalidApiTokenInput' {
        @{ Colour = 'blue' } | Remove-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'InvalidApiTokenInput,*'
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'cannot be forged: ApiToken has no public constructor and its properties are read-only' {
        { [TokenManagement.ApiToken]::new() } | Should -Throw
        $made = New-ServerToken -User $alice -Name (New-Name)
        $token = Get-ApiToken -Id $made.id
        { $token.Id = 'someone-else' } | Should -Throw
        $token.Id | Should -Be $made.id
    }

    It 'creates the token a hashtable names: @{Name=''x''} | New-ApiToken' {
        $name = New-Name 'hash'
        $created = @{ Name = $name } | New-ApiToken -WarningAction SilentlyContinue
        $created.Name | Should -Be $name
        @(Get-ServerToken -User $alice | Where-Object name -EQ $name) | Should -HaveCount 1
        @(Get-ServerToken -User $alice | Where-Object name -EQ 'System.Collections.Hashtable') | Should -HaveCount 0
    }
}

Describe '-Force only skips the prompt; -IncludeCurrentToken acts on the connection''s own token' {
    BeforeEach {
        $user = New-TestUser -Server $server -AccountId $account -UserId "own-$([Guid]::NewGuid().ToString('n').Substring(0, 6))@acme.example"
        $connection = Connect-TestUser $user
        $others = 1..2 | ForEach-Object { New-ServerToken -User $user -Name (New-Name 'other') }
    }
    AfterEach {
        if ("$($connection.State)" -eq 'Open') { Disconnect-AtomSphere -Connection $connection }
        Use-Default $aliceConnection
    }

    It '<Verb> -Force skips the own token with ApiTokenInUse and the connection stays open' -TestCases @(
        @{ Verb = 'Remove'; Command = 'Remove-ApiToken' }
        @{ Verb = 'Disable'; Command = 'Disable-ApiToken' }
    ) {
        Get-ApiToken -Connection $connection | & $Command -Force -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenInUse,*'
        "$($connection.State)" | Should -Be 'Open'
        Get-AuthenticationStatus -User $user | Should -Be 200
        @(Get-ApiToken -Connection $connection).Count | Should -BeGreaterThan 0
    }

    It 'Remove -IncludeCurrentToken revokes the own token last and closes the connection' {
        $output = @(Get-ApiToken -Connection $connection | Remove-ApiToken -IncludeCurrentToken -Force -PassThru -WarningVariable warnings -WarningAction SilentlyContinue)

        $output | Should -HaveCount 3
        $output[-1].Name | Should -Be $user.TokenName -Because 'the own token goes last'
        "$($connection.State)" | Should -Be 'Closed'
        $warnings | Should -HaveCount 1
        Get-AuthenticationStatus -User $user | Should -Be 401
    }

    It 'Disable -IncludeCurrentToken disables the own token last and closes the connection' {
        $output = @(Get-ApiToken -Connection $connection | Disable-ApiToken -IncludeCurrentToken -Confirm:$false -PassThru -WarningAction SilentlyContinue)
        $output | Should -HaveCount 3
        "$($connection.State)" | Should -Be 'Closed'
        Get-AuthenticationStatus -User $user | Should -Be 401
    }

    It 'an explicit -Confirm asks even with -Force (a non-interactive host cannot, so nothing is revoked)' {
        { Remove-ApiToken -Id $others[0].id -Connection $connection -Force -Confirm -ErrorAction Stop } | Should -Throw
        Test-ServerToken $others[0].id | Should -BeTrue
    }
}

Describe 'Every started request is awaited and its outcome written' {
    BeforeAll {
        # Each request takes 400 ms, so that several are in flight when the pipeline fails.
        $slow = Start-TokenServer -MaxTokensPerUser 100 -LatencyMs 400
        $slowAdmin = New-TestUser -Server $slow -AccountId 'acme-slow' -UserId 'admin@acme.example' -Admin
        $slowConnection = Connect-AtomSphere -AccountId 'acme-slow' -Credential $slowAdmin.Credential -Uri $slow.Uri -RequestsPerSecond 0 -PassThru
        Use-Default $aliceConnection
        function New-SlowTokens([int]$Count) {
            $names = 1..$Count | ForEach-Object { New-Name 'slow' }
            $names | ForEach-Object { New-ServerToken -User $slowAdmin -Name $_ } | Out-Null
            @(Get-ApiToken -Connection $slowConnection -Name 'slow-*' | Where-Object Name -In $names)
        }
        function Test-SlowToken([string]$Id) { $null -ne (Get-ServerToken -User $slowAdmin -Id $Id) }
    }
    AfterAll {
        if ($slowConnection) { Disconnect-AtomSphere -Connection $slowConnection }
        if ($slow) { $slow | Stop-TokenServer }
    }

    It 'writes every revocation already started when an upstream command throws' {
        $tokens = New-SlowTokens 6
        $written = [System.Collections.Generic.List[object]]::new()

        { & { $tokens; throw 'upstream failed' } | Remove-ApiToken -Confirm:$false -PassThru -ThrottleLimit 16 | ForEach-Object { $written.Add($_) } } |
            Should -Throw '*upstream failed*'

        $revoked = @($tokens | Where-Object { -not (Test-SlowToken $_.Id) })
        $revoked | Should -HaveCount 6
        @($written.Id | Sort-Object) | Should -Be @($revoked.Id | Sort-Object)
    }

    It 'writes every revocation already started when a later item stops the pipeline (-ErrorAction Stop)' {
        $tokens = New-SlowTokens 5
        $written = [System.Collections.Generic.List[object]]::new()
        $inputs = @($tokens) + @([pscustomobject]@{ Id = 'no-such-token-id' })

        { $inputs | Remove-ApiToken -Connection $slowConnection -Confirm:$false -PassThru -ErrorAction Stop | ForEach-Object { $written.Add($_) } } |
            Should -Throw -ErrorId 'ApiTokenNotFound,*'

        $revoked = @($tokens | Where-Object { -not (Test-SlowToken $_.Id) })
        $revoked | Should -HaveCount 5
        @($written.Id | Sort-Object) | Should -Be @($revoked.Id | Sort-Object)
    }

    It 'reports each item with an error id, not a raw exception, when its connection closes mid-run (<Form>)' -TestCases @(
        @{ Form = 'tokens read through it' }
        @{ Form = 'ids with -Connection' }
    ) {
        $connection = Connect-AtomSphere -AccountId 'acme-slow' -Credential $slowAdmin.Credential -Uri $slow.Uri -RequestsPerSecond 0 -PassThru
        Use-Default $aliceConnection
        $tokens = @(New-SlowTokens 8 | ForEach-Object { Get-ApiToken -Connection $connection -Id $_.Id })
        $inputs = if ($Form -eq 'tokens read through it') { $tokens } else { $tokens | ForEach-Object { [pscustomobject]@{ Id = $_.Id } } }
        Clear-Content -Path $slow.LogPath
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($ModulePath, $Inputs, $Connection)
                    Import-Module $ModulePath
                    $terminating = $null
                    try { $Inputs | Remove-ApiToken -Connection $Connection -Confirm:$false -PassThru -ThrottleLimit 2 -ErrorAction SilentlyContinue -ErrorVariable +failures }
                    catch { $terminating = $_ }
                    [pscustomobject]@{ Failures = @($failures); Terminating = $terminating }
                }).AddArgument((Get-TestModulePath)).AddArgument($inputs).AddArgument($connection)
            $run = $ps.BeginInvoke()
            # Two requests are in flight for 400 ms each; close the connection once the first has been answered.
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not (Select-String -Path $slow.LogPath -Pattern 'DELETE /api/rest/v1/acme-slow/ApiToken/' -Quiet) -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 20
            }
            Disconnect-AtomSphere -Connection $connection
            $results = @($ps.EndInvoke($run))
        }
        finally { $ps.Dispose() }

        $written = @($results | Where-Object { $_ -is [TokenManagement.ApiToken] })
        $report = $results | Where-Object { $_.PSObject.Properties['Failures'] }
        $report.Terminating | Should -BeNullOrEmpty
        $failures = @($report.Failures)
        ($written.Count + $failures.Count) | Should -Be 8 -Because 'every token has exactly one outcome'
        $failures.Count | Should -BeGreaterThan 0
        foreach ($f in $failures) {
            $f.FullyQualifiedErrorId | Should -Match '^(ApiRequestFailed|NotConnected|ServiceUnavailable),'
            Get-ErrorTargetId $f | Should -BeIn $tokens.Id
        }
        foreach ($t in $written) { Test-SlowToken $t.Id | Should -BeFalse }
    }
}

Describe 'Connections belong to their runspace' {
    It 'survive another runspace importing and removing the module' -TestCases @(
        @{ Script = { param($m) Import-Module $m; Remove-Module TokenManagement } }
        @{ Script = { param($m) Import-Module $m; Import-Module $m -Force } }
    ) {
        $ps = [powershell]::Create()
        try { $null = $ps.AddScript($Script).AddArgument((Get-TestModulePath)).Invoke() } finally { $ps.Dispose() }

        "$($aliceConnection.State)" | Should -Be 'Open'
        $aliceConnection.IsDefault | Should -BeTrue
        { Get-ApiToken -ErrorAction Stop } | Should -Not -Throw
    }

    It 'can be used from another runspace (ForEach-Object -Parallel with $using:)' {
        $made = New-ServerToken -User $alice -Name (New-Name 'parallel')
        $module = Get-TestModulePath
        $c = $aliceConnection
        $found = 1..2 | ForEach-Object -Parallel {
            Import-Module $using:module
            Get-ApiToken -Connection $using:c -Id ($using:made).id
        }
        @($found) | Should -HaveCount 2
        @($found.Id | Select-Object -Unique) | Should -Be $made.id
    }

    It 'an open connection can be made the default again after the default was disconnected' {
        $spare = Connect-TestUser $bob
        Disconnect-AtomSphere
        { Get-ApiToken -ErrorAction Stop } | Should -Throw -ErrorId 'NotConnected,*'

        $selected = Select-AtomSphereConnection -Connection $aliceConnection -PassThru
        $selected | Should -Be $aliceConnection
        $aliceConnection.IsDefault | Should -BeTrue
        "$($spare.State)" | Should -Be 'Closed'
        Select-AtomSphereConnection -Id $bobConnection.Id
        $bobConnection.IsDefault | Should -BeTrue
        Select-AtomSphereConnection -Id $aliceConnection.Id
    }

    It 'Select-AtomSphereConnection refuses a closed connection and an unknown id' {
        $spare = Connect-TestUser $bob
        Disconnect-AtomSphere -Connection $spare
        Select-AtomSphereConnection -Connection $aliceConnection
        { Select-AtomSphereConnection -Connection $spare -ErrorAction Stop } | Should -Throw -ErrorId 'NotConnected,*'
        { Select-AtomSphereConnection -Id 987654 -ErrorAction Stop } | Should -Throw -ErrorId 'ConnectionNotFound,*'
        $aliceConnection.IsDefault | Should -BeTrue
    }

    It 'Get-AtomSphereConnection -Id gets those connections; an unknown id is ConnectionNotFound' {
        @(Get-AtomSphereConnection -Id $bobConnection.Id, $aliceConnection.Id).Id | Should -Be @($bobConnection.Id, $aliceConnection.Id)
        Get-AtomSphereConnection -Id 987654 -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionNotFound,*'
    }

    It 'Disconnect-AtomSphere with nothing connected is not an error' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({ param($m) Import-Module $m; Disconnect-AtomSphere -ErrorAction Stop; 'done' }).AddArgument((Get-TestModulePath))
            $ps.Invoke() | Should -Be 'done'
            $ps.HadErrors | Should -BeFalse
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Binding' {
    It 'binds strings piped to <Command> to -Name' -TestCases @(
        @{ Command = 'Remove-ApiToken'; Check = { param($id) Test-ServerToken $id | Should -BeFalse } }
        @{ Command = 'Disable-ApiToken'; Check = { param($id) Get-ServerStatus $id | Should -Be 'DISABLED' } }
    ) {
        $made = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name 'piped') }
        $made.name | & $Command -Confirm:$false -ErrorAction Stop
        $made | ForEach-Object { & $Check $_.id }
    }

    It 'binds a string piped to Rename-ApiToken to -Name' {
        $made = New-ServerToken -User $alice -Name (New-Name 'piped')
        $newName = New-Name 'renamed'
        $made.name | Rename-ApiToken -NewName $newName -Confirm:$false -ErrorAction Stop
        (Get-ServerToken -User $admin -Id $made.id).name | Should -Be $newName
    }

    It 'takes several values in -Name and -Id of <Command>' -TestCases @(
        @{ Command = 'Disable-ApiToken' }
        @{ Command = 'Remove-ApiToken' }
    ) {
        $byName = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name 'multi') }
        $byId = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name 'multi') }
        & $Command -Name $byName.name -Confirm:$false -ErrorAction Stop
        & $Command -Id $byId.id -Confirm:$false -ErrorAction Stop
        foreach ($t in @($byName) + @($byId)) {
            if ($Command -eq 'Remove-ApiToken') { Test-ServerToken $t.id | Should -BeFalse } else { Get-ServerStatus $t.id | Should -Be 'DISABLED' }
        }
    }

    It 'Rename-ApiToken takes one -Name and one -Id' {
        $parameters = (Get-Command Rename-ApiToken).Parameters
        $parameters.Name.ParameterType | Should -Be ([string])
        $parameters.Id.ParameterType | Should -Be ([string])
    }

    It 'Get-ApiToken takes -Id from Import-Csv rows' {
        $made = 1..3 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name 'csv') }
        $csv = Join-Path $TestDrive 'ids.csv'
        $made | ForEach-Object { [pscustomobject]@{ Id = $_.id } } | Export-Csv -Path $csv
        $found = @(Import-Csv -Path $csv | Get-ApiToken -ErrorAction Stop)
        @($found.Id | Sort-Object) | Should -Be @($made.id | Sort-Object)
    }

    It 'Get-ApiToken -Id finds any token the caller may see, as Remove-ApiToken -Id does' {
        $made = New-ServerToken -User $bob -Name (New-Name 'bobs')
        $found = Get-ApiToken -Id $made.id -Connection $adminConnection -ErrorAction Stop
        $found.UserId | Should -Be $bob.UserId
        Get-ApiToken -Id $made.id -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*' -Because 'alice cannot see bob''s token'
    }

    It 'uses PowerShell wildcards: -Name ''<Prefix>[12]'' matches the 1 and the 2, not the 3' {
        $prefix = New-Name 'wild'
        $made = 1..3 | ForEach-Object { New-ServerToken -User $alice -Name "$prefix$_" }
        $Prefix = $prefix
        @(Get-ApiToken -Name "$prefix[12]").Name | Sort-Object | Should -Be @("${prefix}1", "${prefix}2")
        Disable-ApiToken -Name "$prefix[12]" -Confirm:$false -ErrorAction Stop
        Get-ServerStatus $made[0].id | Should -Be 'DISABLED'
        Get-ServerStatus $made[1].id | Should -Be 'DISABLED'
        Get-ServerStatus $made[2].id | Should -Be 'ENABLED'
    }

    It 'takes a backtick-escaped name literally and treats % and _ as ordinary characters' {
        $prefix = New-Name 'lit'
        $bracketed = New-ServerToken -User $alice -Name "$prefix[1]"
        $percent = New-ServerToken -User $alice -Name "${prefix}_%"
        New-ServerToken -User $alice -Name "${prefix}ab" | Out-Null
        @(Get-ApiToken -Name "$prefix``[1``]").Id | Should -Be $bracketed.id
        @(Get-ApiToken -Name "${prefix}_%").Id | Should -Be $percent.id
        @(Get-ApiToken -Name "${prefix}_*").Id | Should -Be $percent.id
    }

    It 'refuses an invalid wildcard pattern at binding' {
        { Get-ApiToken -Name 'x[' -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
        { Remove-ApiToken -Name 'x[' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }

    It 'help says exactly what the attributes say about wildcards and pipeline input' {
        foreach ($name in Get-SpecCmdletName) {
            $command = Get-Command $name
            foreach ($parameter in $command.Parameters.Values | Where-Object { $_.Name -notin [System.Management.Automation.Cmdlet]::CommonParameters -and $_.Name -notin [System.Management.Automation.Cmdlet]::OptionalCommonParameters }) {
                $help = Get-Help $name -Parameter $parameter.Name
                $wildcards = [bool]($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
                "$name -$($parameter.Name) globbing=$($help.globbing)" | Should -Be "$name -$($parameter.Name) globbing=$($wildcards.ToString().ToLowerInvariant())"
                $byValue = [bool]($parameter.ParameterSets.Values | Where-Object ValueFromPipeline)
                $byName = [bool]($parameter.ParameterSets.Values | Where-Object ValueFromPipelineByPropertyName)
                "$name -$($parameter.Name) pipeline=$([bool]($help.pipelineInput -match 'ByValue'))/$([bool]($help.pipelineInput -match 'ByPropertyName'))" |
                    Should -Be "$name -$($parameter.Name) pipeline=$byValue/$byName"
            }
        }
    }
}

Describe 'The service decides name equality' {
    It 'finds, refuses to duplicate and disables a token named with the Kelvin sign by its ordinary spelling' {
        $user = New-TestUser -Server $server -AccountId $account -UserId "kelvin-$([Guid]::NewGuid().ToString('n').Substring(0, 6))@acme.example"
        $connection = Connect-TestUser $user
        try {
            $made = New-ServerToken -User $user -Name "$([char]0x212A)elvin"

            @(Get-ApiToken -Name 'kelvin' -ErrorAction Stop).Id | Should -Be $made.id
            @(Get-ApiToken -Name 'kel*').Id | Should -Be $made.id
            { New-ApiToken -Name 'kelvin' -ErrorAction Stop } | Should -Throw -ErrorId 'ApiTokenNameConflict,*'
            Disable-ApiToken -Name 'kelvin' -Confirm:$false -ErrorAction Stop
            Get-ServerStatus $made.id | Should -Be 'DISABLED'
        }
        finally {
            Disconnect-AtomSphere -Connection $connection
            Use-Default $aliceConnection
        }
    }

    It 'confirms a pattern by the service''s key: STRASSE* finds straße-…, ＡＢＣ* finds abc-…' {
        $suffix = [Guid]::NewGuid().ToString('n').Substring(0, 6)
        $strasse = New-ServerToken -User $alice -Name "stra$([char]0xDF)e-$suffix"
        $abc = New-ServerToken -User $alice -Name "abc-$suffix"
        @(Get-ApiToken -Name "STRASSE-$suffix*").Id | Should -Be $strasse.id
        @(Get-ApiToken -Name "$([char]0xFF21)$([char]0xFF22)$([char]0xFF23)-$suffix*").Id | Should -Be $abc.id
        @(Get-ApiToken -Name "STRASSE-$suffix").Id | Should -Be $strasse.id -Because 'a literal is matched by the service'
    }

    It 'acts on a token once even when two names of the same invocation match it' {
        $made = New-ServerToken -User $alice -Name (New-Name 'twice')
        Remove-ApiToken -Name $made.name, "$($made.name.Substring(0, 7))*" -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures | Should -BeNullOrEmpty
        Test-ServerToken $made.id | Should -BeFalse
    }
}
