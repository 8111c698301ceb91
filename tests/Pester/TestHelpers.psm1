# Shared helpers for the Pester suites, the demo and the sandbox.
# They read and change server state through the HTTP API directly (Invoke-RestMethod), never through the module,
# so that a test can check what a cmdlet did independently of the cmdlet itself.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

# The spec's cmdlet list (docs/cmdlets.md).
$script:SpecCmdlets = @(
    'Connect-AtomSphere', 'Disconnect-AtomSphere', 'Get-AtomSphereConnection', 'Select-AtomSphereConnection',
    'Get-ApiToken', 'New-ApiToken', 'Rename-ApiToken', 'Enable-ApiToken', 'Disable-ApiToken', 'Remove-ApiToken',
    'Get-AtomSphereAuditLog'
    'Invoke-ApiTokenRotation'
)

function Get-RepoRoot { $script:RepoRoot }

function Get-TestModulePath { Join-Path $script:RepoRoot 'out/TokenManagement/TokenManagement.psd1' }

function Get-SpecCmdletName { $script:SpecCmdlets }

function Import-TestModules {
    <# Imports the built module (once per session) and the token-server helpers into the global scope. #>
    Import-Module (Join-Path $PSScriptRoot 'TokenServer.psm1') -Global -Force
    if (-not (Get-Module TokenManagement)) {
        Import-Module (Get-TestModulePath) -Global -ErrorAction Stop
    }
}

function ConvertTo-PlainText {
    param([Parameter(Mandatory, ValueFromPipeline)][securestring]$SecureString)
    process { [System.Net.NetworkCredential]::new('', $SecureString).Password }
}

function ConvertTo-TestSecureString {
    param([Parameter(Mandatory, ValueFromPipeline)][string]$Text)
    process {
        $secure = [securestring]::new()
        foreach ($c in $Text.ToCharArray()) { $secure.AppendChar($c) }
        $secure.MakeReadOnly()
        $secure
    }
}

function New-TestUser {
    <#
    .SYNOPSIS
    Creates a user on the server (New-TokenServerUser) and returns what the tests need to act as that user:
    Server, Uri, AccountId, UserId, Credential (for Connect-AtomSphere) and Token (the plain value, for direct REST calls).
    #>
    param(
        [Parameter(Mandatory)]$Server,
        [Parameter(Mandatory)][string]$AccountId,
        [Parameter(Mandatory)][string]$UserId,
        [switch]$Admin,
        [switch]$NoApiAccess,
        [string]$TokenName = 'bootstrap'
    )
    $credential = New-TokenServerUser -Server $Server -AccountId $AccountId -UserId $UserId -Admin:$Admin -NoApiAccess:$NoApiAccess -TokenName $TokenName
    [pscustomobject]@{
        PSTypeName = 'TokenManagement.TestUser'
        Server     = $Server
        Uri        = $Server.Uri
        AccountId  = $AccountId
        UserId     = $UserId
        Credential = $credential
        Token      = $credential.GetNetworkCredential().Password
        TokenName  = $TokenName
    }
}

function Invoke-TestApi {
    <#
    .SYNOPSIS
    One request against {uri}/api/rest/v1/{account}{Path} with Basic auth BOOMI_TOKEN.<user>:<token>.
    Returns StatusCode and Body; never throws on an HTTP error status.
    #>
    param(
        [Parameter(Mandatory)]$User,
        [string]$Method = 'GET',
        [Parameter(Mandatory)][string]$Path,
        $Body,
        [string]$ContentType = 'application/json',
        [string]$Token,
        [string]$UserId,
        [string]$AccountId
    )
    if (-not $Token) { $Token = $User.Token }
    if (-not $UserId) { $UserId = $User.UserId }
    if (-not $AccountId) { $AccountId = $User.AccountId }
    $pair = "BOOMI_TOKEN.${UserId}:$Token"
    $headers = @{
        Authorization = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($pair))
        Accept        = 'application/json'
    }
    $parameters = @{
        Uri                = "$($User.Uri)/api/rest/v1/$AccountId$Path"
        Method             = $Method
        Headers            = $headers
        SkipHttpErrorCheck = $true
        StatusCodeVariable = 'status'
    }
    if ($PSBoundParameters.ContainsKey('Body')) {
        $parameters.Body = if ($Body -is [string]) { $Body } else { $Body | ConvertTo-Json -Depth 20 -Compress }
        $parameters.ContentType = $ContentType
    }
    # A throttled (503) request changed nothing: wait as told and send it again, so that the helpers also work
    # against a server with a rate limit.
    for ($attempt = 1; ; $attempt++) {
        $status = 0
        $response = Invoke-RestMethod @parameters -ResponseHeadersVariable responseHeaders
        if ($status -ne 503 -or $attempt -ge 20) { break }
        $retryAfter = 1
        if ($responseHeaders -and $responseHeaders['Retry-After']) { [int]::TryParse("$($responseHeaders['Retry-After'])", [ref]$retryAfter) | Out-Null }
        Start-Sleep -Milliseconds ([Math]::Max(100, $retryAfter * 1000))
    }
    [pscustomobject]@{ StatusCode = [int]$status; Body = $response }
}

function Assert-TestApiStatus {
    param([Parameter(Mandatory)]$Response, [int[]]$Expected = 200, [string]$What = 'request')
    if ($Response.StatusCode -notin $Expected) {
        throw "Direct API $What answered $($Response.StatusCode) (expected $($Expected -join '/')): $($Response.Body | ConvertTo-Json -Depth 5 -Compress)"
    }
}

function Get-ServerToken {
    <#
    .SYNOPSIS
    Every token the given user can see (POST /ApiToken/query, then queryMore until no queryToken), or one by -Id
    (GET /ApiToken/{id}; nothing when 404).
    #>
    param([Parameter(Mandatory)]$User, [string]$Id, $QueryFilter)
    if ($Id) {
        $r = Invoke-TestApi -User $User -Path "/ApiToken/$([Uri]::EscapeDataString($Id))"
        if ($r.StatusCode -eq 404) { return }
        Assert-TestApiStatus $r 200 "GET /ApiToken/$Id"
        return $r.Body
    }
    $body = if ($QueryFilter) { @{ QueryFilter = $QueryFilter } } else { '{}' }
    $r = Invoke-TestApi -User $User -Method POST -Path '/ApiToken/query' -Body $body
    $pages = 0
    while ($true) {
        Assert-TestApiStatus $r 200 'query'
        $page = $r.Body
        if ($page.PSObject.Properties['result'] -and $null -ne $page.result) { $page.result }
        $next = if ($page.PSObject.Properties['queryToken']) { $page.queryToken } else { $null }
        if (-not $next) { break }
        if (++$pages -gt 1000) { throw 'queryMore did not end after 1000 pages.' }
        $r = Invoke-TestApi -User $User -Method POST -Path '/ApiToken/queryMore' -Body ([string]$next) -ContentType 'text/plain'
    }
}

function Get-ServerQueryCount {
    <# numberOfResults of POST /ApiToken/query {} for the user. #>
    param([Parameter(Mandatory)]$User)
    $r = Invoke-TestApi -User $User -Method POST -Path '/ApiToken/query' -Body '{}'
    Assert-TestApiStatus $r 200 'query'
    [long]$r.Body.numberOfResults
}

function New-ServerToken {
    <# POST /ApiToken as the user; returns the created token including its plain value in .token. #>
    param([Parameter(Mandatory)]$User, [Parameter(Mandatory)][string]$Name)
    $r = Invoke-TestApi -User $User -Method POST -Path '/ApiToken' -Body @{ name = $Name }
    Assert-TestApiStatus $r 200 "create '$Name'"
    $r.Body
}

function Set-ServerToken {
    <# POST /ApiToken/{id} with a new name and/or status (ENABLED/DISABLED). #>
    param([Parameter(Mandatory)]$User, [Parameter(Mandatory)][string]$Id, [string]$Name, [ValidateSet('ENABLED', 'DISABLED')][string]$Status)
    $body = @{}
    if ($Name) { $body.name = $Name }
    if ($Status) { $body.status = $Status }
    $r = Invoke-TestApi -User $User -Method POST -Path "/ApiToken/$([Uri]::EscapeDataString($Id))" -Body $body
    Assert-TestApiStatus $r 200 "update $Id"
    $r.Body
}

function Remove-ServerToken {
    param([Parameter(Mandatory)]$User, [Parameter(Mandatory)][string]$Id)
    $r = Invoke-TestApi -User $User -Method DELETE -Path "/ApiToken/$([Uri]::EscapeDataString($Id))"
    Assert-TestApiStatus $r 204, 200 "revoke $Id"
}

function Get-AuthenticationStatus {
    <# The HTTP status of GET /Account/{account} with the user's id and the given token value (default: the user's own). #>
    param([Parameter(Mandatory)]$User, [string]$Token)
    if (-not $Token) { $Token = $User.Token }
    (Invoke-TestApi -User $User -Path "/Account/$($User.AccountId)" -Token $Token).StatusCode
}

function ConvertTo-UtcDateTime {
    <# A date from the API (DateTime or ISO 8601 string) as a UTC DateTime; $null stays $null. #>
    param([AllowNull()]$Value)
    if ($null -eq $Value -or "$Value" -eq '') { return $null }
    if ($Value -is [datetime]) {
        if ($Value.Kind -eq [DateTimeKind]::Local) { return $Value.ToUniversalTime() }
        return [datetime]::SpecifyKind($Value, [DateTimeKind]::Utc)
    }
    [DateTimeOffset]::Parse([string]$Value, [cultureinfo]::InvariantCulture).UtcDateTime
}

function Get-ServerDate {
    <# A date property (createdDate, lastUsedDate) of a token from the API as UTC, or $null when absent. #>
    param([Parameter(Mandatory)]$Token, [Parameter(Mandatory)][string]$Property)
    $p = $Token.PSObject.Properties[$Property]
    if (-not $p) { return $null }
    ConvertTo-UtcDateTime $p.Value
}

function Get-ErrorTargetId {
    <# An error's TargetObject as an id: the spec allows the token object or its id. #>
    param([Parameter(Mandatory, ValueFromPipeline)][System.Management.Automation.ErrorRecord]$ErrorRecord)
    process {
        $target = $ErrorRecord.TargetObject
        if ($null -eq $target) { return $null }
        if ($target -is [string]) { return $target }
        if ($target.PSObject.Properties['Id']) { return [string]$target.Id }
        [string]$target
    }
}

function Connect-TestUser {
    <# Connect-AtomSphere as the test user; returns the connection (it becomes the default). #>
    param([Parameter(Mandatory)]$User)
    Connect-AtomSphere -AccountId $User.AccountId -Credential $User.Credential -Uri $User.Uri -PassThru -ErrorAction Stop
}

function Disconnect-AllTestConnections {
    <# Closes every open connection of this session, so that one suite leaves none behind for the next. #>
    if (-not (Get-Command Get-AtomSphereConnection -ErrorAction SilentlyContinue)) { return }
    foreach ($c in @(Get-AtomSphereConnection -ErrorAction SilentlyContinue)) {
        if ("$($c.State)" -eq 'Open') { Disconnect-AtomSphere -Connection $c -ErrorAction SilentlyContinue }
    }
}

function Get-StreamText {
    <#
    .SYNOPSIS
    Everything a user could see of the given records (objects, errors, warnings, verbose, debug, information), as text.
    #>
    param([AllowNull()][AllowEmptyCollection()][object[]]$InputObject)
    $parts = foreach ($record in @($InputObject)) {
        if ($null -eq $record) { continue }
        switch ($record) {
            { $_ -is [System.Management.Automation.ErrorRecord] } {
                $_.ToString()
                $_ | Out-String -Width 4096
                $_.Exception.ToString()
                "$($_.TargetObject)"
                if ($null -ne $_.TargetObject) { $_.TargetObject | Format-List * -Force | Out-String -Width 4096 }
                if ($_.ErrorDetails) { $_.ErrorDetails.Message; $_.ErrorDetails.RecommendedAction }
                $_.CategoryInfo.ToString()
                break
            }
            { $_ -is [System.Management.Automation.InformationalRecord] } { $_.Message; break }
            { $_ -is [System.Management.Automation.InformationRecord] } { "$($_.MessageData)"; break }
            default {
                "$_"
                $_ | Out-String -Width 4096
                $_ | Format-List * -Force | Out-String -Width 4096
            }
        }
    }
    $parts -join "`n"
}

function New-DemoEnvironment {
    <#
    .SYNOPSIS
    For the demo and the sandbox: a local server (Start-TokenServer) with an admin and two users holding some tokens.
    Returns Server, Admin (a test user), Users, and Leaked (the plain value of one of alice's tokens, for the leak story).
    #>
    param([int]$MaxTokensPerUser = 5)
    Import-Module (Join-Path $PSScriptRoot 'TokenServer.psm1') -Global -Force
    $server = Start-TokenServer -MaxTokensPerUser $MaxTokensPerUser
    try {
        $account = 'acme-A1B2C3'
        $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin -TokenName 'admin-console'
        $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example' -TokenName 'alice-laptop'
        $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example' -TokenName 'bob-laptop'
        $leaked = New-ServerToken -User $alice -Name 'ci-pipeline'
        New-ServerToken -User $alice -Name 'temp-build-agent' | Out-Null
        New-ServerToken -User $bob -Name 'temp-migration' | Out-Null
        New-ServerToken -User $bob -Name 'reporting' | Out-Null
        # Use some tokens once, so that LastUsedDate shows something.
        Get-AuthenticationStatus -User $alice | Out-Null
        Get-AuthenticationStatus -User $bob | Out-Null
        [pscustomobject]@{ Server = $server; AccountId = $account; Admin = $admin; Users = @($alice, $bob); Leaked = [string]$leaked.token }
    }
    catch {
        $server | Stop-TokenServer
        throw
    }
}

# The module's two time-based policies, for tests whose outcome would otherwise be the machine's speed:
#   LookupFlushDelay    TargetResolver.FlushDelay: how long a partial lookup batch waits for more records (150 ms).
#     A test that counts lookups sets one longer than its run: batches then close only when full or at the end.
#   CompletionDeadline  CompletionQuery.Deadline: how long tab completion waits for the service (1.5 s).
#     A test that expects completions sets a long one; the tests of the deadline itself keep the default.
# -Default puts the module's own value back.
function Set-ModuleTimeSetting {
    param(
        [Parameter(Mandatory)][ValidateSet('LookupFlushDelay', 'CompletionDeadline')][string]$Name,
        [TimeSpan]$Value,
        [switch]$Default
    )
    $typeName, $property = @{
        LookupFlushDelay   = 'TokenManagement.Infrastructure.TargetResolver', 'FlushDelay'
        CompletionDeadline = 'TokenManagement.Completion.CompletionQuery', 'Deadline'
    }[$Name]
    $type = (Get-Command Get-ApiToken).ImplementingType.Assembly.GetType($typeName, $true)
    $flags = [Reflection.BindingFlags]'NonPublic, Static'
    if ($Default) { $Value = $type.GetField("Default$property", $flags).GetValue($null) }
    $type.GetProperty($property, $flags).SetValue($null, $Value)
}

# TabExpansion2's matches for a line, with a completion deadline no machine misses (see Set-ModuleTimeSetting).
function Get-TestCompletion {
    param([Parameter(Mandatory)][string]$Line)
    Set-ModuleTimeSetting CompletionDeadline ([TimeSpan]::FromSeconds(60))
    try { @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches) }
    finally { Set-ModuleTimeSetting CompletionDeadline -Default }
}

Export-ModuleMember -Function *
