#Requires -Version 7.2
# Connect-AtomSphere, Disconnect-AtomSphere, Get-AtomSphereConnection (spec: docs/cmdlets.md).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer
    $account = 'acme-connect'
    $otherAccount = 'globex-connect'
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $noApi = New-TestUser -Server $server -AccountId $account -UserId 'noapi@acme.example' -NoApiAccess
    $bob = New-TestUser -Server $server -AccountId $otherAccount -UserId 'bob@globex.example'
    $envNames = 'BOOMI_ACCOUNT_ID', 'BOOMI_USERNAME', 'BOOMI_API_TOKEN', 'BOOMI_API_URI'
    $savedEnv = @{}
    foreach ($name in $envNames) { $savedEnv[$name] = [Environment]::GetEnvironmentVariable($name) }

    function Set-BoomiEnvironment([hashtable]$Values) {
        foreach ($name in $envNames) { [Environment]::SetEnvironmentVariable($name, $Values[$name]) }
    }
}

AfterAll {
    foreach ($name in $envNames) { [Environment]::SetEnvironmentVariable($name, $savedEnv[$name]) }
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Connect-AtomSphere' {
    AfterEach {
        foreach ($name in $envNames) { [Environment]::SetEnvironmentVariable($name, $savedEnv[$name]) }
    }

    It 'connects with -AccountId, -Credential and -Uri and returns the connection with -PassThru' {
        $connection = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -PassThru

        $connection | Should -HaveCount 1
        $connection | Should -BeOfType ([TokenManagement.AtomSphereConnection])
        $connection.AccountId | Should -Be $account
        $connection.UserId | Should -Be $alice.UserId
        "$($connection.Uri)".TrimEnd('/') | Should -Be $server.Uri
        $connection.TokenPrefix | Should -BeExactly $alice.Token.Substring(0, 6)
        "$($connection.State)" | Should -Be 'Open'
        $connection.IsDefault | Should -BeTrue
        $connection.Id | Should -BeGreaterThan 0
    }

    It 'writes nothing to the pipeline without -PassThru, and the new connection becomes the default' {
        $output = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri
        $output | Should -BeNullOrEmpty

        $default = @(Get-AtomSphereConnection | Where-Object IsDefault)
        $default | Should -HaveCount 1
        $default[0].UserId | Should -Be $alice.UserId
        # The default connection is used by the token cmdlets.
        $tokens = @(Get-ApiToken)
        $tokens.Name | Should -Contain 'bootstrap'
        $tokens.UserId | Sort-Object -Unique | Should -Be $alice.UserId
    }

    It 'accepts the BOOMI_TOKEN. prefix in the credential user name' {
        $credential = [pscredential]::new("BOOMI_TOKEN.$($alice.UserId)", $alice.Credential.Password)
        $connection = Connect-AtomSphere -AccountId $account -Credential $credential -Uri $server.Uri -PassThru

        $connection.UserId | Should -Be $alice.UserId
        @(Get-ApiToken -Connection $connection).UserId | Sort-Object -Unique | Should -Be $alice.UserId
    }

    It 'accepts the account id and credential positionally' {
        $connection = Connect-AtomSphere $account $alice.Credential -Uri $server.Uri -PassThru
        $connection.AccountId | Should -Be $account
        $connection.UserId | Should -Be $alice.UserId
    }

    It 'reads BOOMI_ACCOUNT_ID, BOOMI_USERNAME, BOOMI_API_TOKEN and BOOMI_API_URI when no account or credential is given' {
        Set-BoomiEnvironment @{
            BOOMI_ACCOUNT_ID = $account; BOOMI_USERNAME = $alice.UserId; BOOMI_API_TOKEN = $alice.Token; BOOMI_API_URI = $server.Uri
        }
        $connection = Connect-AtomSphere -PassThru

        $connection.AccountId | Should -Be $account
        $connection.UserId | Should -Be $alice.UserId
        "$($connection.Uri)".TrimEnd('/') | Should -Be $server.Uri
        @(Get-ApiToken -Connection $connection).Name | Should -Contain 'bootstrap'
    }

    It 'accepts the BOOMI_TOKEN. prefix in BOOMI_USERNAME' {
        Set-BoomiEnvironment @{
            BOOMI_ACCOUNT_ID = $account; BOOMI_USERNAME = "BOOMI_TOKEN.$($alice.UserId)"; BOOMI_API_TOKEN = $alice.Token; BOOMI_API_URI = $server.Uri
        }
        $connection = Connect-AtomSphere -PassThru
        $connection.UserId | Should -Be $alice.UserId
    }

    It 'fails with MissingCredential naming <Missing> when that variable is not set' -ForEach @(
        @{ Missing = 'BOOMI_ACCOUNT_ID' }
        @{ Missing = 'BOOMI_USERNAME' }
        @{ Missing = 'BOOMI_API_TOKEN' }
    ) {
        $values = @{ BOOMI_ACCOUNT_ID = $account; BOOMI_USERNAME = $alice.UserId; BOOMI_API_TOKEN = $alice.Token; BOOMI_API_URI = $server.Uri }
        $values.Remove($Missing)
        Set-BoomiEnvironment $values

        $err = { Connect-AtomSphere } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'MissingCredential,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.ToString() | Should -Match $Missing
        $err.ToString() | Should -Not -Match ([regex]::Escape($alice.Token))
    }

    It 'fails with AuthenticationFailed for a wrong token, without showing the token' {
        $wrong = [Guid]::NewGuid().ToString()
        $credential = [pscredential]::new($alice.UserId, (ConvertTo-TestSecureString $wrong))

        $err = { Connect-AtomSphere -AccountId $account -Credential $credential -Uri $server.Uri } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        Get-StreamText $err | Should -Not -Match ([regex]::Escape($wrong))
    }

    It 'fails with AuthenticationFailed for an unknown user' {
        $credential = [pscredential]::new('nobody@acme.example', $alice.Credential.Password)
        $err = { Connect-AtomSphere -AccountId $account -Credential $credential -Uri $server.Uri } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
    }

    It 'does not add a connection when authentication fails' {
        $before = @(Get-AtomSphereConnection).Count
        $credential = [pscredential]::new($alice.UserId, (ConvertTo-TestSecureString ([Guid]::NewGuid().ToString())))
        { Connect-AtomSphere -AccountId $account -Credential $credential -Uri $server.Uri } | Should -Throw
        @(Get-AtomSphereConnection | Where-Object { "$($_.State)" -eq 'Open' -and $_.TokenPrefix -eq $credential.GetNetworkCredential().Password.Substring(0, 6) }) |
            Should -BeNullOrEmpty
        @(Get-AtomSphereConnection).Count | Should -Be $before
    }

    It 'fails with ApiAccessDenied for a user without the API Access privilege' {
        $err = { Connect-AtomSphere -AccountId $account -Credential $noApi.Credential -Uri $server.Uri } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ApiAccessDenied,*'
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        Get-StreamText $err | Should -Not -Match ([regex]::Escape($noApi.Token))
    }

    It 'fails with ApiAccessDenied for an account the user does not belong to' {
        $err = { Connect-AtomSphere -AccountId $otherAccount -Credential $alice.Credential -Uri $server.Uri } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ApiAccessDenied,*'
    }

    It 'refuses http:// to a host that is not loopback with InvalidUri' -ForEach @(
        @{ Target = 'http://tokens.example.com' }
        @{ Target = 'http://10.1.2.3:8080' }
    ) {
        $err = { Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $Target } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidUri,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses an http:// BOOMI_API_URI to a host that is not loopback with InvalidUri' {
        Set-BoomiEnvironment @{
            BOOMI_ACCOUNT_ID = $account; BOOMI_USERNAME = $alice.UserId; BOOMI_API_TOKEN = $alice.Token; BOOMI_API_URI = 'http://tokens.example.com'
        }
        $err = { Connect-AtomSphere } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidUri,*'
    }

    It 'accepts -RequestsPerSecond and -TimeoutSec' {
        $connection = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -RequestsPerSecond 0 -TimeoutSec 30 -PassThru
        "$($connection.State)" | Should -Be 'Open'
        @(Get-ApiToken -Connection $connection).Name | Should -Contain 'bootstrap'
        $connection = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -RequestsPerSecond 2.5 -PassThru
        @(Get-ApiToken -Connection $connection).Name | Should -Contain 'bootstrap'
    }

    It 'gives every connection of the session its own increasing Id' {
        $first = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -PassThru
        $second = Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -PassThru
        $second.Id | Should -BeGreaterThan $first.Id
        $ids = @(Get-AtomSphereConnection).Id
        $ids | Should -Contain $first.Id
        $ids | Should -Contain $second.Id
        ($ids | Sort-Object -Unique).Count | Should -Be $ids.Count
    }
}

Describe 'Get-AtomSphereConnection' {
    BeforeAll {
        $connection = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -PassThru
        $adminConnection = Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -PassThru
        $secrets = @($alice.Token, $admin.Token)
    }

    It 'lists the connections of this session with exactly one default, the newest open one' {
        $all = @(Get-AtomSphereConnection)
        $all | ForEach-Object { $_ | Should -BeOfType ([TokenManagement.AtomSphereConnection]) }
        $all.Id | Should -Contain $connection.Id
        $all.Id | Should -Contain $adminConnection.Id
        $defaults = @($all | Where-Object IsDefault)
        $defaults | Should -HaveCount 1
        $defaults[0].Id | Should -Be $adminConnection.Id
        ($all | Where-Object Id -EQ $connection.Id).IsDefault | Should -BeFalse
    }

    It 'never shows the token value in any property value' {
        foreach ($c in Get-AtomSphereConnection) {
            foreach ($property in $c.PSObject.Properties) {
                $value = $property.Value
                $value | Should -Not -BeOfType ([securestring]) -Because "property $($property.Name) must not hold the token"
                $value | Should -Not -BeOfType ([pscredential]) -Because "property $($property.Name) must not hold the credential"
                $value | Should -Not -BeOfType ([System.Net.NetworkCredential]) -Because "property $($property.Name) must not hold the credential"
                foreach ($secret in $secrets) {
                    "$value" | Should -Not -Match ([regex]::Escape($secret)) -Because "property $($property.Name)"
                }
            }
        }
    }

    It 'never shows the token value in ToString, the formatted output or serialized output' {
        $all = @(Get-AtomSphereConnection)
        $text = @(
            $all | ForEach-Object { $_.ToString() }
            $all | Out-String -Width 4096
            $all | Format-Table * -AutoSize | Out-String -Width 4096
            $all | Format-List * -Force | Out-String -Width 4096
            $all | ConvertTo-Json -Depth 4
            $all | ConvertTo-Csv
            [System.Management.Automation.PSSerializer]::Serialize($all, 4)
        ) -join "`n"
        foreach ($secret in $secrets) {
            $text | Should -Not -Match ([regex]::Escape($secret))
        }
        # Sanity: the text is about these connections.
        $text | Should -Match ([regex]::Escape($alice.UserId))
    }
}

Describe 'Disconnect-AtomSphere' {
    It 'closes the default connection; the token cmdlets then fail with NotConnected and do not fall back to an older one' {
        $older = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -PassThru
        $newer = Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -PassThru

        Disconnect-AtomSphere

        $all = @(Get-AtomSphereConnection)
        "$(($all | Where-Object Id -EQ $newer.Id).State)" | Should -Be 'Closed'
        "$(($all | Where-Object Id -EQ $older.Id).State)" | Should -Be 'Open'
        @($all | Where-Object IsDefault) | Should -BeNullOrEmpty

        $err = { Get-ApiToken } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NotConnected,*'
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.ToString() | Should -Match 'Connect-AtomSphere'

        $err = { New-ApiToken -Name 'should-not-exist' -WarningAction SilentlyContinue } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NotConnected,*'
        @(Get-ServerToken -User $alice).name | Should -Not -Contain 'should-not-exist'
        @(Get-ServerToken -User $admin).name | Should -Not -Contain 'should-not-exist'

        # The older connection is still usable explicitly.
        @(Get-ApiToken -Connection $older).UserId | Sort-Object -Unique | Should -Be $alice.UserId
    }

    It 'closes the connection given through the pipeline' {
        $connection = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -PassThru
        $connection | Disconnect-AtomSphere
        "$((Get-AtomSphereConnection | Where-Object Id -EQ $connection.Id).State)" | Should -Be 'Closed'
    }

    It 'closes the connection given with -Connection' {
        $connection = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -PassThru
        Disconnect-AtomSphere -Connection $connection
        "$((Get-AtomSphereConnection | Where-Object Id -EQ $connection.Id).State)" | Should -Be 'Closed'
        { Get-ApiToken } | Should -Throw -ExpectedMessage '*Connect-AtomSphere*'
    }

    It 'keeps the default when another connection is closed' {
        $older = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -PassThru
        $newer = Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -PassThru
        Disconnect-AtomSphere -Connection $older
        $all = @(Get-AtomSphereConnection)
        "$(($all | Where-Object Id -EQ $older.Id).State)" | Should -Be 'Closed'
        ($all | Where-Object Id -EQ $newer.Id).IsDefault | Should -BeTrue
        @(Get-ApiToken).UserId | Sort-Object -Unique | Should -Be $admin.UserId
    }

    It 'keeps closed connections in Get-AtomSphereConnection' {
        $connection = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -PassThru
        Disconnect-AtomSphere
        (Get-AtomSphereConnection).Id | Should -Contain $connection.Id
    }
}

Describe '-Connection selects the account and user' {
    It 'uses the given connection instead of the default' {
        $acme = Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -PassThru
        $globex = Connect-AtomSphere -AccountId $otherAccount -Credential $bob.Credential -Uri $server.Uri -PassThru

        $viaDefault = @(Get-ApiToken)
        $viaDefault.AccountId | Sort-Object -Unique | Should -Be $otherAccount
        $viaDefault.UserId | Sort-Object -Unique | Should -Be $bob.UserId

        $viaAcme = @(Get-ApiToken -Connection $acme)
        $viaAcme.AccountId | Sort-Object -Unique | Should -Be $account
        $viaAcme.UserId | Sort-Object -Unique | Should -Be $alice.UserId

        $name = 'made-through-connection'
        $created = New-ApiToken -Name $name -Connection $acme -WarningAction SilentlyContinue
        $created.UserId | Should -Be $alice.UserId
        $created.AccountId | Should -Be $account
        @(Get-ServerToken -User $alice).name | Should -Contain $name
        @(Get-ServerToken -User $bob).name | Should -Not -Contain $name
        Remove-ServerToken -User $alice -Id $created.Id
    }
}
