# A real terminal for what only a person sees (prompts, the screen): an interactive pwsh in a detached tmux session
# of a fixed size, driven with send-keys and read with capture-pane (plain text: no colour codes).
Set-StrictMode -Version Latest

function Test-TerminalAvailable { [bool](Get-Command tmux -CommandType Application -ErrorAction SilentlyContinue) }

function Start-TerminalSession {
    param([int]$Width = 80, [int]$Height = 50, [Parameter(Mandatory)][string]$ModulePath)
    $name = "tm-$PID-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $folder = Join-Path ([IO.Path]::GetTempPath()) $name
    New-Item -ItemType Directory -Path $folder | Out-Null
    # The pwsh this test runs in, started interactively (no -NonInteractive), without a profile, and with a home of its
    # own so that PSReadLine keeps no history of the session on this machine.
    $pwsh = [Environment]::ProcessPath
    $arguments = if ((Split-Path -Leaf $pwsh) -like 'dotnet*') { "exec `"$([Environment]::GetCommandLineArgs()[0])`"" } else { '' }
    $command = "env HOME='$folder' XDG_DATA_HOME='$folder' XDG_CONFIG_HOME='$folder' TERM=xterm-256color '$pwsh' $arguments -NoProfile -NoLogo"
    & tmux new-session -d -s $name -x $Width -y $Height $command
    if ($LASTEXITCODE -ne 0) { throw "tmux could not start a session ($LASTEXITCODE)." }
    $session = [pscustomobject]@{ Name = $name; Home = $folder; Width = $Width }
    Wait-TerminalText -Session $session -Pattern 'PS .*> ?$' | Out-Null
    # The prompt numbers the next command ('PS 2> '): a prompt with the next number is the end of a command's output,
    # where the prompt before it (still on the screen while the keys are echoed) is not.
    Send-TerminalLine -Session $session -Text ('function global:prompt { "PS $(@(Get-History -Count 1).Id + 1)> " }; ' +
        "Set-PSReadLineOption -HistorySaveStyle SaveNothing -PredictionSource None; Import-Module '$ModulePath'; Clear-Host")
    Wait-TerminalText -Session $session -Pattern '^PS 2> ?$' | Out-Null
    $session
}

function Send-TerminalLine {
    param([Parameter(Mandatory)]$Session, [Parameter(Mandatory)][AllowEmptyString()][string]$Text)
    if ($Text) { & tmux send-keys -t $Session.Name -l $Text }
    & tmux send-keys -t $Session.Name Enter
}

function Get-TerminalScreen {
    param([Parameter(Mandatory)]$Session)
    (& tmux capture-pane -p -t $Session.Name -S - -E -) -join "`n"
}

function Get-TerminalRows {
    param([Parameter(Mandatory)]$Session, [switch]$JoinWrapped)
    # -J joins the rows of a line the terminal wrapped: fewer rows with it than without means something wrapped.
    if ($JoinWrapped) { @(& tmux capture-pane -p -J -t $Session.Name -S - -E -) } else { @(& tmux capture-pane -p -t $Session.Name -S - -E -) }
}

# Polls the screen until a line matches (a hang guard, not a timing: the ceiling is generous).
function Wait-TerminalText {
    param([Parameter(Mandatory)]$Session, [Parameter(Mandatory)][string]$Pattern, [int]$TimeoutSec = 60)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    do {
        $rows = Get-TerminalRows -Session $Session
        $last = @($rows | Where-Object { $_ -ne '' })
        if ($last.Count -and $last[-1] -match $Pattern) { return $rows -join "`n" }
        Start-Sleep -Milliseconds 100
    } while ([DateTime]::UtcNow -lt $deadline)
    throw "The terminal did not show /$Pattern/ within $TimeoutSec s. The screen:`n$($rows -join "`n")"
}

# Runs one command line at the prompt and returns what it printed (the screen after the command line, up to the next prompt).
function Invoke-TerminalCommand {
    param([Parameter(Mandatory)]$Session, [Parameter(Mandatory)][string]$Command, [int]$TimeoutSec = 60)
    $prompt = Wait-TerminalText -Session $Session -Pattern '^PS \d+> ?$' -TimeoutSec $TimeoutSec
    $next = [int]([regex]::Match(@($prompt -split "`n" | Where-Object { $_ -ne '' })[-1], '^PS (\d+)>').Groups[1].Value)
    & tmux send-keys -t $Session.Name C-l
    & tmux clear-history -t $Session.Name
    Wait-TerminalText -Session $Session -Pattern "^PS $next> ?$" | Out-Null
    Send-TerminalLine -Session $Session -Text $Command
    $screen = Wait-TerminalText -Session $Session -Pattern "^PS $($next + 1)> ?$" -TimeoutSec $TimeoutSec
    $lines = @($screen -split "`n")
    # Drop the command line itself and the final prompt (what the cleared screen pushed into the history comes before).
    $start = [Array]::FindLastIndex($lines, [Predicate[string]] { param($l) $l -match "^PS $next> " })
    $end = [Array]::FindLastIndex($lines, [Predicate[string]] { param($l) $l -match "^PS $($next + 1)> ?$" })
    if ($start -lt 0 -or $end -le $start) { return $screen }
    ($lines[($start + 1)..($end - 1)] -join "`n").TrimEnd()
}

function Stop-TerminalSession {
    param([Parameter(ValueFromPipeline)]$Session)
    process {
        if (-not $Session) { return }
        & tmux kill-session -t $Session.Name 2>$null
        Remove-Item -Recurse -Force $Session.Home -ErrorAction SilentlyContinue
    }
}

Export-ModuleMember -Function Test-TerminalAvailable, Start-TerminalSession, Send-TerminalLine, Get-TerminalScreen, Get-TerminalRows, Wait-TerminalText, Invoke-TerminalCommand, Stop-TerminalSession
