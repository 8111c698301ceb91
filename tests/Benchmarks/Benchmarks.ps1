<#
.SYNOPSIS
The benchmarks of docs/performance.md: each measured against its baseline in the same run, medians of several runs.

.DESCRIPTION
Run by `./build.ps1 -Task Benchmark` after a build. Every measurement runs in a fresh pwsh (the module is never
loaded into the build process) against a local token server started for it. Prints a markdown table and writes
it to out/benchmark/results.md.
#>
[CmdletBinding()]
param(
    [int]$Runs = 3,
    [string]$OutputPath,

    # Only the bulk-by-input-form section (6), e.g. while working on bulk paths; -Form narrows it to forms like this.
    [switch]$FormsOnly,
    [string]$Form = '*'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$manifest = Join-Path $root 'out/TokenManagement/TokenManagement.psd1'
if (-not $OutputPath) { $OutputPath = Join-Path $root 'out/benchmark/results.md' }
Import-Module (Join-Path $root 'tests/Pester/TokenServer.psm1') -Force
$account = 'bench-A1B2C3'
$admin = 'admin@bench.example'
$work = Join-Path $root 'out/benchmark'
New-Item -ItemType Directory -Path $work -Force | Out-Null

# Child scripts get the server and credential through the environment; each prints one JSON line.
$prelude = @'
$ErrorActionPreference = 'Stop'
if ($env:TM_BENCH_TOKEN) {
    $secure = [Security.SecureString]::new(); foreach ($c in $env:TM_BENCH_TOKEN.ToCharArray()) { $secure.AppendChar($c) }
    $credential = [pscredential]::new($env:TM_BENCH_USER, $secure)
    $basic = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("BOOMI_TOKEN.$($env:TM_BENCH_USER):$($env:TM_BENCH_TOKEN)"))
    $base = "$($env:TM_BENCH_URI)/api/rest/v1/$($env:TM_BENCH_ACCOUNT)"
    $headers = @{ Authorization = $basic; Accept = 'application/json' }
}
function Get-RawTokenIds([string]$Body) {
    $page = Invoke-RestMethod -Method Post -Uri "$base/ApiToken/query" -Headers $headers -ContentType 'application/json' -Body $Body
    $page.result | ForEach-Object id
    while ($page.PSObject.Properties['queryToken'] -and $page.queryToken) {
        $page = Invoke-RestMethod -Method Post -Uri "$base/ApiToken/queryMore" -Headers $headers -ContentType 'text/plain' -Body $page.queryToken
        $page.result | ForEach-Object id
    }
}
function Out-Result([double]$Seconds, [int]$Count, [int]$Errors = 0) {
    [GC]::Collect()
    [pscustomobject]@{ Seconds = $Seconds; Count = $Count; Errors = $Errors
        PeakMB = [Math]::Round([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB, 1) } | ConvertTo-Json -Compress
}
'@

function Invoke-Child {
    param([Parameter(Mandatory)][string]$Body, $Server, $Credential)
    $path = Join-Path $work ("child-" + [Guid]::NewGuid().ToString('n').Substring(0, 8) + '.ps1')
    Set-Content -Path $path -Value ($prelude + "`n" + $Body)
    if ($Server) {
        $env:TM_BENCH_URI = $Server.Uri
        $env:TM_BENCH_ACCOUNT = $account
        $env:TM_BENCH_USER = $Credential.UserName
        $env:TM_BENCH_TOKEN = $Credential.GetNetworkCredential().Password
        $env:TM_BENCH_MANIFEST = $manifest
    }
    try {
        Push-Location $root
        $output = & dotnet pwsh -NoProfile -NonInteractive -File $path
        if ($LASTEXITCODE -ne 0) { throw "A benchmark child failed ($LASTEXITCODE): $output" }
        $output | Select-Object -Last 1 | ConvertFrom-Json
    }
    finally {
        Pop-Location
        Remove-Item $path -ErrorAction SilentlyContinue
        Remove-Item Env:TM_BENCH_* -ErrorAction SilentlyContinue
    }
}

function Start-SeededServer {
    param([int]$Tokens, [int]$LatencyMs = 0, [int]$RateLimit = 0)
    $server = Start-TokenServer -LatencyMs $LatencyMs -RateLimit $RateLimit -MaxTokensPerUser 5
    $credential = New-TokenServerUser -Server $server -AccountId $account -UserId $admin -Admin
    if ($Tokens -gt 0) { Add-TokenServerSeed -Server $server -AccountId $account -Users ($Tokens / 5) -TokensPerUser 5 }
    [pscustomobject]@{ Server = $server; Credential = $credential }
}

function Get-Median([double[]]$Values) {
    $sorted = $Values | Sort-Object
    $n = $sorted.Count
    if ($n % 2) { $sorted[[int][Math]::Floor($n / 2)] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}

$rows = [Collections.Generic.List[object]]::new()
function Add-Row([string]$Benchmark, [string]$Ours, [string]$Baseline, [string]$Ratio, [string]$Target) {
    $rows.Add([pscustomobject]@{ Benchmark = $Benchmark; Ours = $Ours; Baseline = $Baseline; Ratio = $Ratio; Target = $Target })
    Write-Host "$Benchmark : ours $Ours, baseline $Baseline, ratio $Ratio (target $Target)"
}

if (-not $FormsOnly) {
# 1. Import: cold Import-Module in a fresh pwsh, against pwsh start alone and against an empty manifest module
#    (psd1 + psm1, one function): what any module pays for PowerShell's module machinery on a cold start.
$empty = Join-Path $work 'EmptyModule'
New-Item -ItemType Directory -Path $empty -Force | Out-Null
Set-Content -Path (Join-Path $empty 'EmptyModule.psd1') -Value "@{ ModuleVersion = '1.0'; RootModule = 'EmptyModule.psm1'; FunctionsToExport = @('Get-Nothing') }"
Set-Content -Path (Join-Path $empty 'EmptyModule.psm1') -Value 'function Get-Nothing { }'
$importBody = @'
$sw = [Diagnostics.Stopwatch]::StartNew()
Import-Module 'MODULE_PATH'
Out-Result -Seconds $sw.Elapsed.TotalSeconds -Count 1
'@
$start = foreach ($i in 1..($Runs + 2)) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    & dotnet pwsh -NoProfile -NonInteractive -Command 'exit 0'
    $sw.Elapsed.TotalMilliseconds
}
$import = foreach ($i in 1..($Runs + 2)) { (Invoke-Child -Body $importBody.Replace('MODULE_PATH', $manifest)).Seconds * 1000 }
$emptyImport = foreach ($i in 1..($Runs + 2)) { (Invoke-Child -Body $importBody.Replace('MODULE_PATH', (Join-Path $empty 'EmptyModule.psd1'))).Seconds * 1000 }
$startMs = Get-Median $start
$importMs = Get-Median $import
$emptyMs = Get-Median $emptyImport
Add-Row 'Import-Module, cold (ms)' ('{0:F0}' -f $importMs) ('{0:F0} (pwsh start alone)' -f $startMs) ('{0:F2}' -f ($importMs / $startMs)) 'import < 150 ms'
Add-Row 'Import-Module, cold, vs an empty module (ms)' ('{0:F0}' -f $importMs) ('{0:F0} (empty psd1 + psm1)' -f $emptyMs) ('{0:F2}' -f ($importMs / $emptyMs)) '-'

# 2. List 10,000 tokens: Get-ApiToken -AllUsers against a hand-written query/queryMore loop.
$listing = Start-SeededServer -Tokens 10000
try {
    $ours = foreach ($i in 1..$Runs) {
        Invoke-Child -Server $listing.Server -Credential $listing.Credential -Body @'
Import-Module $env:TM_BENCH_MANIFEST
Connect-AtomSphere -AccountId $env:TM_BENCH_ACCOUNT -Credential $credential -Uri $env:TM_BENCH_URI -RequestsPerSecond 0 | Out-Null
$sw = [Diagnostics.Stopwatch]::StartNew()
$count = (Get-ApiToken -AllUsers | Measure-Object).Count
Out-Result -Seconds $sw.Elapsed.TotalSeconds -Count $count
'@
    }
    $small = foreach ($i in 1..$Runs) {
        Invoke-Child -Server $listing.Server -Credential $listing.Credential -Body @'
Import-Module $env:TM_BENCH_MANIFEST
Connect-AtomSphere -AccountId $env:TM_BENCH_ACCOUNT -Credential $credential -Uri $env:TM_BENCH_URI -RequestsPerSecond 0 | Out-Null
$sw = [Diagnostics.Stopwatch]::StartNew()
$count = (Get-ApiToken -AllUsers -First 1000 | Measure-Object).Count
Out-Result -Seconds $sw.Elapsed.TotalSeconds -Count $count
'@
    }
    $raw = foreach ($i in 1..$Runs) {
        Invoke-Child -Server $listing.Server -Credential $listing.Credential -Body @'
$sw = [Diagnostics.Stopwatch]::StartNew()
$count = (Get-RawTokenIds '{}' | Measure-Object).Count
Out-Result -Seconds $sw.Elapsed.TotalSeconds -Count $count
'@
    }
}
finally { $listing.Server | Stop-TokenServer }
if (@($ours | Where-Object Count -ne 10001).Count -or @($raw | Where-Object Count -ne 10001).Count) { throw 'A listing did not return all 10,001 tokens.' }
$oursS = Get-Median $ours.Seconds; $rawS = Get-Median $raw.Seconds
Add-Row 'List 10,000 tokens (s)' ('{0:F2}' -f $oursS) ('{0:F2} (Invoke-RestMethod loop)' -f $rawS) ('{0:F2}' -f ($oursS / $rawS)) 'within 1.2x'
$oursMB = Get-Median $ours.PeakMB; $rawMB = Get-Median $raw.PeakMB; $smallMB = Get-Median $small.PeakMB
Add-Row 'List 10,000: peak working set (MB)' ('{0:F0}' -f $oursMB) ('{0:F0} (Invoke-RestMethod loop)' -f $rawMB) ('{0:F2}' -f ($oursMB / $rawMB)) 'flat'
Add-Row 'Peak working set, 10,000 vs 1,000 listed (MB)' ('{0:F0}' -f $oursMB) ('{0:F0} (-First 1000)' -f $smallMB) ('{0:F2}' -f ($oursMB / $smallMB)) 'flat (about 1.0)'

# 3. Revoke 1,000 tokens through the pipeline against a sequential Invoke-RestMethod DELETE loop.
foreach ($latency in 0, 20) {
    $oursRuns = @(); $rawRuns = @()
    foreach ($i in 1..$Runs) {
        $s = Start-SeededServer -Tokens 1000 -LatencyMs $latency
        try {
            $oursRuns += Invoke-Child -Server $s.Server -Credential $s.Credential -Body @'
Import-Module $env:TM_BENCH_MANIFEST
Connect-AtomSphere -AccountId $env:TM_BENCH_ACCOUNT -Credential $credential -Uri $env:TM_BENCH_URI -RequestsPerSecond 0 | Out-Null
$sw = [Diagnostics.Stopwatch]::StartNew()
Get-ApiToken -AllUsers -Name 'seed-*' | Remove-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
$left = (Get-ApiToken -AllUsers -Name 'seed-*' | Measure-Object).Count
Out-Result -Seconds $sw.Elapsed.TotalSeconds -Count (1000 - $left) -Errors $failures.Count
'@
        }
        finally { $s.Server | Stop-TokenServer }
        $s = Start-SeededServer -Tokens 1000 -LatencyMs $latency
        try {
            $rawRuns += Invoke-Child -Server $s.Server -Credential $s.Credential -Body @'
$sw = [Diagnostics.Stopwatch]::StartNew()
$ids = Get-RawTokenIds '{"QueryFilter":{"expression":{"operator":"STARTS_WITH","property":"name","argument":["seed-"]}}}'
foreach ($id in $ids) { Invoke-RestMethod -Method Delete -Uri "$base/ApiToken/$id" -Headers $headers | Out-Null }
$left = @(Get-RawTokenIds '{"QueryFilter":{"expression":{"operator":"STARTS_WITH","property":"name","argument":["seed-"]}}}').Count
Out-Result -Seconds $sw.Elapsed.TotalSeconds -Count (1000 - $left)
'@
        }
        finally { $s.Server | Stop-TokenServer }
    }
    if (@($oursRuns + $rawRuns | Where-Object Count -ne 1000).Count) { throw "A revoke run at $latency ms did not revoke all 1,000 tokens." }
    $o = Get-Median $oursRuns.Seconds; $r = Get-Median $rawRuns.Seconds
    $target = if ($latency -eq 0) { 'no slower (ratio <= 1.0)' } else { 'at least 5x faster (ratio <= 0.2)' }
    Add-Row "Revoke 1,000 at $latency ms latency (s)" ('{0:F2}, {1} errors' -f $o, ($oursRuns.Errors | Measure-Object -Sum).Sum) ('{0:F2} (sequential DELETE loop)' -f $r) ('{0:F2}' -f ($o / $r)) $target
}

# 4. Rate-limit efficiency: 300 revocations against a server limited to 10 requests/s.
$s = Start-SeededServer -Tokens 300 -RateLimit 10
try {
    $rate = Invoke-Child -Server $s.Server -Credential $s.Credential -Body @'
Import-Module $env:TM_BENCH_MANIFEST
Connect-AtomSphere -AccountId $env:TM_BENCH_ACCOUNT -Credential $credential -Uri $env:TM_BENCH_URI | Out-Null
Start-Sleep -Seconds 1
$sw = [Diagnostics.Stopwatch]::StartNew()
$tokens = @(Get-ApiToken -AllUsers -Name 'seed-*')
$tokens | Remove-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
Out-Result -Seconds $sw.Elapsed.TotalSeconds -Count $tokens.Count -Errors $failures.Count
'@
    Start-Sleep -Milliseconds 500
    $throttled = @(Select-String -Path $s.Server.LogPath -Pattern ' 503 ').Count
    $requests = @(Select-String -Path $s.Server.LogPath -Pattern '/ApiToken').Count
}
finally { $s.Server | Stop-TokenServer }
$achieved = $requests / $rate.Seconds
Add-Row 'Rate-limit efficiency, 300 revocations at 10 req/s' ('{0:F2} req/s, {1} errors, {2} throttled answers' -f $achieved, $rate.Errors, $throttled) '10 req/s (the limit)' ('{0:F2}' -f ($achieved / 10)) '>= 0.9, zero errors'

# 5. How -ThrottleLimit pays at 20 ms latency (how its default was chosen), against 1 in flight.
$sweep = foreach ($limit in 1, 4, 8, 16, 32) {
    $s = Start-SeededServer -Tokens 1000 -LatencyMs 20
    try {
        $run = Invoke-Child -Server $s.Server -Credential $s.Credential -Body (@'
Import-Module $env:TM_BENCH_MANIFEST
Connect-AtomSphere -AccountId $env:TM_BENCH_ACCOUNT -Credential $credential -Uri $env:TM_BENCH_URI -RequestsPerSecond 0 | Out-Null
$sw = [Diagnostics.Stopwatch]::StartNew()
Get-ApiToken -AllUsers -Name 'seed-*' | Remove-ApiToken -Confirm:$false -ThrottleLimit THROTTLE -ErrorVariable failures -ErrorAction SilentlyContinue
Out-Result -Seconds $sw.Elapsed.TotalSeconds -Count 1000 -Errors $failures.Count
'@.Replace('THROTTLE', "$limit"))
    }
    finally { $s.Server | Stop-TokenServer }
    [pscustomobject]@{ Limit = $limit; Seconds = $run.Seconds }
}
$serial = ($sweep | Where-Object Limit -EQ 1).Seconds
foreach ($point in $sweep | Where-Object Limit -NE 1) {
    Add-Row "Revoke 1,000 at 20 ms, -ThrottleLimit $($point.Limit) (s, one run)" ('{0:F2}' -f $point.Seconds) ('{0:F2} (-ThrottleLimit 1)' -f $serial) ('{0:F2}' -f ($point.Seconds / $serial)) '-'
}

}

# 6. Bulk by input form: 300 of the caller's own tokens each time, on a fresh database. At the service's rate limit
#    (10 requests/s per account) the ceiling is 10 tokens/s: one changing request per token and nothing else. At no
#    rate limit, each form against the sequential Invoke-RestMethod loop that does the same work, at 0 and 20 ms.
$formCount = 300
$forms = [ordered]@{
    'objects: Get-ApiToken piped to Remove-ApiToken' = @{
        Ours = 'Get-ApiToken -Name "bench-*" | Remove-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue'
        Loop = 'foreach ($id in (Get-RawTokenIds ''{"QueryFilter":{"expression":{"operator":"STARTS_WITH","property":"name","argument":["bench-"]}}}'')) { Invoke-RestMethod -Method Delete -Uri "$base/ApiToken/$id" -Headers $headers | Out-Null }'
    }
    'ids: Import-Csv piped to Remove-ApiToken' = @{
        Ours = 'Import-Csv $env:TM_BENCH_CSV | Remove-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue'
        Loop = 'foreach ($row in Import-Csv $env:TM_BENCH_CSV) { Invoke-RestMethod -Method Delete -Uri "$base/ApiToken/$($row.Id)" -Headers $headers | Out-Null }'
    }
    'ids: Remove-ApiToken -Id <array>' = @{
        Ours = 'Remove-ApiToken -Id (Import-Csv $env:TM_BENCH_CSV).Id -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue'
        Loop = 'foreach ($id in (Import-Csv $env:TM_BENCH_CSV).Id) { Invoke-RestMethod -Method Delete -Uri "$base/ApiToken/$id" -Headers $headers | Out-Null }'
    }
    'names: piped to Remove-ApiToken' = @{
        Ours = '(Import-Csv $env:TM_BENCH_CSV).Name | Remove-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue'
        Loop = 'foreach ($name in (Import-Csv $env:TM_BENCH_CSV).Name) { $q = @{ QueryFilter = @{ expression = @{ operator = "EQUALS"; property = "name"; argument = @($name) } } } | ConvertTo-Json -Depth 5 -Compress; foreach ($id in (Get-RawTokenIds $q)) { Invoke-RestMethod -Method Delete -Uri "$base/ApiToken/$id" -Headers $headers | Out-Null } }'
    }
    'name pattern: Remove-ApiToken -Name bench-*' = @{
        Ours = 'Remove-ApiToken -Name "bench-*" -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue'
        Loop = 'foreach ($id in (Get-RawTokenIds ''{"QueryFilter":{"expression":{"operator":"LIKE","property":"name","argument":["bench-%"]}}}'')) { Invoke-RestMethod -Method Delete -Uri "$base/ApiToken/$id" -Headers $headers | Out-Null }'
    }
    'leaked values: piped to Remove-ApiToken' = @{
        Ours = 'Get-Content $env:TM_BENCH_VALUES | ForEach-Object { ConvertTo-SecureString $_ -AsPlainText -Force } | Remove-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue'
        Loop = 'foreach ($value in Get-Content $env:TM_BENCH_VALUES) { $q = @{ QueryFilter = @{ expression = @{ operator = "EQUALS"; property = "token"; argument = @($value) } } } | ConvertTo-Json -Depth 5 -Compress; foreach ($id in (Get-RawTokenIds $q)) { Invoke-RestMethod -Method Delete -Uri "$base/ApiToken/$id" -Headers $headers | Out-Null } }'
    }
    'Disable-ApiToken -Id <array>' = @{
        Ours = 'Disable-ApiToken -Id (Import-Csv $env:TM_BENCH_CSV).Id -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue'
        Loop = 'foreach ($id in (Import-Csv $env:TM_BENCH_CSV).Id) { Invoke-RestMethod -Method Post -Uri "$base/ApiToken/$id" -Headers $headers -ContentType "application/json" -Body ''{"status":"DISABLED"}'' | Out-Null }'
    }
    'Enable-ApiToken: objects' = @{
        Ours = 'Get-ApiToken -Name "bench-*" | Enable-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue'
        Loop = 'foreach ($id in (Get-RawTokenIds ''{"QueryFilter":{"expression":{"operator":"STARTS_WITH","property":"name","argument":["bench-"]}}}'')) { Invoke-RestMethod -Method Post -Uri "$base/ApiToken/$id" -Headers $headers -ContentType "application/json" -Body ''{"status":"ENABLED"}'' | Out-Null }'
    }
    'Get-ApiToken -Id <array> (reads)' = @{
        Ours = '$null = Get-ApiToken -Id (Import-Csv $env:TM_BENCH_CSV).Id -ErrorVariable failures -ErrorAction SilentlyContinue'
        Loop = 'foreach ($id in (Import-Csv $env:TM_BENCH_CSV).Id) { Invoke-RestMethod -Uri "$base/ApiToken/$id" -Headers $headers | Out-Null }'
    }
}

function Start-FormServer([int]$RateLimit, [int]$LatencyMs) {
    # The tokens are made on an unlimited server, then the measured one opens the same database.
    $setup = Start-TokenServer -MaxTokensPerUser ($formCount + 10)
    try {
        $credential = New-TokenServerUser -Server $setup -AccountId $account -UserId $admin -Admin
        $auth = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("BOOMI_TOKEN.$($admin):$($credential.GetNetworkCredential().Password)"))
        $made = foreach ($i in 1..$formCount) {
            Invoke-RestMethod -Method Post -Uri "$($setup.Uri)/api/rest/v1/$account/ApiToken" -Headers @{ Authorization = $auth } -ContentType 'application/json' -Body (@{ name = 'bench-{0:D4}' -f $i } | ConvertTo-Json)
        }
    }
    finally { $setup | Stop-TokenServer -KeepFiles }
    $csv = Join-Path $setup.WorkPath 'tokens.csv'
    $made | ForEach-Object { [pscustomobject]@{ Id = $_.id; Name = $_.name } } | Export-Csv -Path $csv
    $values = Join-Path $setup.WorkPath 'values.txt'
    Set-Content -Path $values -Value ($made | ForEach-Object token)
    $server = Start-TokenServer -Database $setup.Database -RateLimit $RateLimit -LatencyMs $LatencyMs -MaxTokensPerUser ($formCount + 10)
    [pscustomobject]@{ Server = $server; Credential = $credential; Csv = $csv; Values = $values; SetupPath = $setup.WorkPath }
}

function Measure-Form([string]$Script, [switch]$Module, [int]$RateLimit, [int]$LatencyMs) {
    # At the service's limit: the module's defaults. Without one: no client ceiling either (-RequestsPerSecond 0).
    $clientRate = if ($RateLimit -gt 0) { '' } else { ' -RequestsPerSecond 0' }
    $s = Start-FormServer -RateLimit $RateLimit -LatencyMs $LatencyMs
    try {
        $env:TM_BENCH_CSV = $s.Csv
        $env:TM_BENCH_VALUES = $s.Values
        $connect = if ($Module) {
            'Import-Module $env:TM_BENCH_MANIFEST; Connect-AtomSphere -AccountId $env:TM_BENCH_ACCOUNT -Credential $credential -Uri $env:TM_BENCH_URI' + $clientRate + ' | Out-Null; Start-Sleep -Seconds 1'
        }
        else { 'Start-Sleep -Seconds 1' } # the rate limiter's second starts empty either way
        Invoke-Child -Server $s.Server -Credential $s.Credential -Body @"
$connect
`$failures = @()
`$sw = [Diagnostics.Stopwatch]::StartNew()
$Script
Out-Result -Seconds `$sw.Elapsed.TotalSeconds -Count $formCount -Errors @(`$failures).Count
"@
    }
    finally {
        $s.Server | Stop-TokenServer
        Remove-Item -Recurse -Force $s.SetupPath -ErrorAction SilentlyContinue
        Remove-Item Env:TM_BENCH_CSV, Env:TM_BENCH_VALUES -ErrorAction SilentlyContinue
    }
}

foreach ($form in @($forms.Keys) -like $Form) {
    $atLimit = Measure-Form -Script $forms[$form].Ours -Module -RateLimit 10
    $perSecond = $formCount / $atLimit.Seconds
    Add-Row "$form, 300 at 10 req/s (tokens/s, one run)" ('{0:F2}, {1} errors' -f $perSecond, $atLimit.Errors) '10 (the ceiling)' ('{0:F2}' -f ($perSecond / 10)) '>= 0.95, zero errors'
    foreach ($latency in 0, 20) {
        $ours = Measure-Form -Script $forms[$form].Ours -Module -LatencyMs $latency
        $loop = Measure-Form -Script $forms[$form].Loop -LatencyMs $latency
        $target = if ($latency -eq 0) { 'no slower (<= 1.0)' } else { 'at least 10x faster (<= 0.1)' }
        Add-Row "$form, 300 at $latency ms, no rate limit (s, one run)" ('{0:F2}, {1} errors' -f $ours.Seconds, $ours.Errors) ('{0:F2} (sequential Invoke-RestMethod loop)' -f $loop.Seconds) ('{0:F2}' -f ($ours.Seconds / $loop.Seconds)) $target
    }
}

$table = @('| Benchmark | Ours | Baseline (same run) | Ratio | Target |', '|---|---|---|---|---|')
$table += $rows | ForEach-Object { "| $($_.Benchmark) | $($_.Ours) | $($_.Baseline) | $($_.Ratio) | $($_.Target) |" }
$header = "Measured $([DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm')) UTC on $([Environment]::ProcessorCount) cores, median of $Runs runs (import: $($Runs + 2))."
Set-Content -Path $OutputPath -Value (@($header, '') + $table)
Write-Host ''
Write-Host $header
$table | ForEach-Object { Write-Host $_ }
