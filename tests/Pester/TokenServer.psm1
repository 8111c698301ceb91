# Starts and drives the real token service (out/server) for Pester tests, the demo, the sandbox and the benchmarks.
Set-StrictMode -Version Latest

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:ServerDll = Join-Path $script:RepoRoot 'out/server/TokenManagement.Server.dll'

function Invoke-TokenServerCli {
    param([Parameter(Mandatory)][string[]]$Arguments)
    if (-not (Test-Path $script:ServerDll)) { throw "The server is not built ($script:ServerDll). Run ./build.ps1 -Task Build." }
    $output = & dotnet $script:ServerDll @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "TokenManagement.Server $($Arguments[0]) failed ($LASTEXITCODE): $output" }
    $output
}

function Start-TokenServer {
    <#
    .SYNOPSIS
    Starts the token service on a free loopback port and a new SQLite file; returns an object with Uri, Database, Process and LogPath.
    #>
    [CmdletBinding()]
    param(
        [string]$Database,
        [int]$RateLimit = 0,
        [int]$MaxTokensPerUser = 5,
        [int]$LatencyMs = 0,
        [double]$FaultRate = 0,
        [double]$FaultAbortRate = 0,

        # Serve the deterministic fault plan at /_faults (loopback only): tests choose faults per request.
        [switch]$FaultAdmin
    )
    $work = Join-Path ([IO.Path]::GetTempPath()) ("tm-server-" + [Guid]::NewGuid().ToString('n').Substring(0, 12))
    New-Item -ItemType Directory -Path $work | Out-Null
    if (-not $Database) { $Database = Join-Path $work 'tokens.db' }
    $log = Join-Path $work 'server.log'
    $errLog = Join-Path $work 'server.err.log'
    $inv = [Globalization.CultureInfo]::InvariantCulture
    $arguments = @(
        $script:ServerDll, 'serve', '--urls', 'http://127.0.0.1:0', '--database', $Database,
        '--rate-limit', $RateLimit.ToString($inv), '--max-tokens-per-user', $MaxTokensPerUser.ToString($inv),
        '--latency-ms', $LatencyMs.ToString($inv), '--fault-rate', $FaultRate.ToString($inv),
        '--fault-abort-rate', $FaultAbortRate.ToString($inv))
    if ($FaultAdmin) { $arguments += '--fault-admin' }
    $process = Start-Process -FilePath 'dotnet' -ArgumentList $arguments -PassThru -NoNewWindow `
        -RedirectStandardOutput $log -RedirectStandardError $errLog
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    $uri = $null
    while (-not $uri) {
        if ($process.HasExited) {
            throw "The token server exited ($($process.ExitCode)): $(Get-Content -Raw $log, $errLog -ErrorAction SilentlyContinue)"
        }
        if ([DateTime]::UtcNow -gt $deadline) {
            Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue
            throw "The token server did not report its address within 60 s: $(Get-Content -Raw $log -ErrorAction SilentlyContinue)"
        }
        $line = Select-String -Path $log -Pattern 'Listening on (http://\S+)' -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($line) { $uri = $line.Matches[0].Groups[1].Value.TrimEnd('/') } else { Start-Sleep -Milliseconds 100 }
    }
    [pscustomobject]@{
        PSTypeName = 'TokenManagement.TestServer'
        Uri        = $uri
        Database   = $Database
        Process    = $process
        LogPath    = $log
        WorkPath   = $work
    }
}

function Stop-TokenServer {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)]$Server, [switch]$KeepFiles)
    process {
        if (-not $Server.Process.HasExited) {
            Stop-Process -Id $Server.Process.Id -Force -ErrorAction SilentlyContinue
            $Server.Process.WaitForExit(10000) | Out-Null
        }
        if (-not $KeepFiles) { Remove-Item -Recurse -Force $Server.WorkPath -ErrorAction SilentlyContinue }
    }
}

function Sync-TokenServerLog {
    <#
    .SYNOPSIS
    Waits until the server's log holds every request answered so far; returns the log's lines.
    .DESCRIPTION
    The server writes its request lines off the request path, in order. A marker request sent now is logged after every
    request already answered, so once its line is in the file, so are theirs: no guessed pause.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)]$Server, [int]$TimeoutSec = 60)
    $marker = "_log-sync/$([Guid]::NewGuid().ToString('n'))"
    # Any answer will do (401, an injected 503, an aborted connection): the server logs the request whatever it answers.
    try { Invoke-WebRequest -Uri "$($Server.Uri)/$marker" -SkipHttpErrorCheck -TimeoutSec 30 | Out-Null } catch { Write-Verbose "log marker: $_" }
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while ($true) {
        $lines = @(Get-Content -Path $Server.LogPath)
        for ($i = $lines.Count - 1; $i -ge 0; $i--) {
            if ($lines[$i].Contains($marker)) { return $lines[0..$i] | Where-Object { -not $_.Contains(' /_log-sync/') } }
        }
        if ([DateTime]::UtcNow -gt $deadline) { throw "The server did not log the marker request $marker within $TimeoutSec s." }
        Start-Sleep -Milliseconds 50
    }
}

function New-TokenServerUser {
    <#
    .SYNOPSIS
    Creates an account user with a first token (server add-user) and returns a PSCredential for Connect-AtomSphere.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]$Server,
        [Parameter(Mandatory)][string]$AccountId,
        [Parameter(Mandatory)][string]$UserId,
        [switch]$Admin,
        [switch]$NoApiAccess,
        [string]$TokenName = 'bootstrap'
    )
    $arguments = @('add-user', '--database', $Server.Database, '--account', $AccountId, '--user', $UserId, '--token-name', $TokenName)
    if ($Admin) { $arguments += '--admin' }
    if ($NoApiAccess) { $arguments += '--no-api-access' }
    $value = (Invoke-TokenServerCli $arguments | Select-Object -Last 1).ToString().Trim()
    $secure = [Security.SecureString]::new()
    foreach ($c in $value.ToCharArray()) { $secure.AppendChar($c) }
    $secure.MakeReadOnly()
    [pscredential]::new($UserId, $secure)
}

function Add-TokenServerSeed {
    <#
    .SYNOPSIS
    Bulk data: N users of an account with K tokens each (server seed).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]$Server,
        [Parameter(Mandatory)][string]$AccountId,
        [Parameter(Mandatory)][int]$Users,
        [Parameter(Mandatory)][int]$TokensPerUser
    )
    Invoke-TokenServerCli @('seed', '--database', $Server.Database, '--account', $AccountId,
        '--users', "$Users", '--tokens-per-user', "$TokensPerUser") | Write-Verbose
}

Export-ModuleMember -Function Start-TokenServer, Stop-TokenServer, Sync-TokenServerLog, New-TokenServerUser, Add-TokenServerSeed, Invoke-TokenServerCli
