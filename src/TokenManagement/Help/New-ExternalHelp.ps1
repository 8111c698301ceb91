#Requires -Version 5.1
<#
.SYNOPSIS
Converts the module's platyPS-style markdown help into MAML and about_*.help.txt files.

.DESCRIPTION
A self-contained replacement for platyPS' New-ExternalHelp (platyPS is not available to the build).
It reads every *.md file of -SourcePath:

- about_*.md files become -OutputPath/about_*.help.txt: plain text, wrapped at 80 columns.
- Every other file is a cmdlet help file in the platyPS 0.14 schema (schema 2.0.0). All of them become
  ONE MAML file, -OutputPath/<external help file> (TokenManagement.dll-Help.xml), written with System.Xml.

The markdown is validated while it is read. A malformed file (no front matter, a missing or empty
SYNOPSIS, an unknown section, a parameter without its yaml block, a yaml block with a missing or unknown
key, a parameter set that the SYNTAX section does not have, a SYNTAX block that disagrees with the
PARAMETERS section, an example without code, an unclosed code block...) makes the script throw, naming the
file and line, so that a broken document breaks the build. Nothing is written unless every file is valid.

Runs on Windows PowerShell 5.1 and PowerShell 7, and under Set-StrictMode -Version Latest.

.PARAMETER SourcePath
The folder with the markdown files, e.g. docs/en-US.

.PARAMETER OutputPath
The folder that receives the MAML file and the about topics (created if missing), e.g. out/TokenManagement/en-US.

.OUTPUTS
System.IO.FileInfo for each file written.

.EXAMPLE
./src/TokenManagement/Help/New-ExternalHelp.ps1 -SourcePath docs/en-US -OutputPath out/TokenManagement/en-US
#>
[CmdletBinding()]
[OutputType([System.IO.FileInfo])]
param(
    [Parameter(Mandatory = $true)]
    [string]$SourcePath,

    [Parameter(Mandatory = $true)]
    [string]$OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$MshNs = 'http://msh'
$MamlNs = 'http://schemas.microsoft.com/maml/2004/10'
$CommandNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$DevNs = 'http://schemas.microsoft.com/maml/dev/2004/10'
$MsHelpNs = 'http://msdn.microsoft.com/mshelp'
$XmlnsNs = 'http://www.w3.org/2000/xmlns/'

$CommandSections = @('SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS')
$YamlKeys = @('Type', 'Parameter Sets', 'Aliases', 'Accepted values', 'Applicable', 'Required', 'Position', 'Default value',
    'Accept pipeline input', 'Accept wildcard characters')
$RequiredYamlKeys = @('Type', 'Parameter Sets', 'Aliases', 'Required', 'Position', 'Default value', 'Accept pipeline input',
    'Accept wildcard characters')
$AllParameterSets = '__AllParameterSets'
$TextWidth = 79

#region Markdown reading

function New-HelpError {
    param([string]$File, [int]$Line, [string]$Message)
    if ($Line -gt 0) { "${File}:${Line}: $Message" } else { "${File}: $Message" }
}

function Read-MarkdownFile {
    # Returns the file's lines (without line ends), the front matter (a hashtable, or $null) and the
    # 0-based index of the first line after it.
    param([string]$Path)
    $text = [System.IO.File]::ReadAllText($Path, [System.Text.Encoding]::UTF8)
    if ($text.Length -gt 0 -and $text[0] -eq [char]0xFEFF) { $text = $text.Substring(1) }
    $lines = @($text.Replace("`r`n", "`n").Replace("`r", "`n").Split("`n"))
    $name = Split-Path -Leaf $Path
    $front = $null
    $start = 0
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        $front = @{}
        $end = -1
        for ($i = 1; $i -lt $lines.Count; $i++) {
            if ($lines[$i].Trim() -eq '---') { $end = $i; break }
            if ($lines[$i].Trim() -eq '') { continue }
            if ($lines[$i] -notmatch '^\s*([^:]+?)\s*:\s*(.*?)\s*$') {
                throw (New-HelpError $name ($i + 1) "front matter line is not 'key: value': '$($lines[$i])'.")
            }
            $front[$Matches[1]] = $Matches[2].Trim("'", '"')
        }
        if ($end -lt 0) { throw (New-HelpError $name 1 "front matter is not closed by a '---' line.") }
        $start = $end + 1
    }
    [pscustomobject]@{ Name = $name; Lines = $lines; FrontMatter = $front; Start = $start }
}

function ConvertTo-MarkdownBlock {
    # Splits markdown lines into blocks: Heading, Paragraph, List, Table and Code. Each block has its line number.
    param([string[]]$Lines, [int]$Start, [string]$File)
    $blocks = New-Object System.Collections.Generic.List[object]
    $current = $null
    $i = $Start
    while ($i -lt $Lines.Count) {
        $line = $Lines[$i]
        $lineNo = $i + 1
        if ($line -match '^ {0,3}(```+|~~~+)\s*([\w.+-]*)\s*$') {
            if ($null -ne $current) { $blocks.Add($current); $current = $null }
            $fence = $Matches[1]
            $lang = $Matches[2]
            $code = New-Object System.Collections.Generic.List[string]
            $closed = $false
            $i++
            while ($i -lt $Lines.Count) {
                if ($Lines[$i] -match ('^ {0,3}' + [regex]::Escape($fence.Substring(0, 3)) + '+\s*$')) { $closed = $true; break }
                $code.Add($Lines[$i])
                $i++
            }
            if (-not $closed) { throw (New-HelpError $File $lineNo 'code block is not closed.') }
            $blocks.Add([pscustomobject]@{ Kind = 'Code'; Line = $lineNo; Lang = $lang; Text = ($code.ToArray() -join "`n"); Level = 0; Items = $null })
            $i++
            continue
        }
        if ($line -match '^(#{1,6})\s+(.*?)\s*$') {
            if ($null -ne $current) { $blocks.Add($current); $current = $null }
            $blocks.Add([pscustomobject]@{ Kind = 'Heading'; Line = $lineNo; Lang = ''; Text = $Matches[2]; Level = $Matches[1].Length; Items = $null })
            $i++
            continue
        }
        if ($line.Trim() -eq '') {
            if ($null -ne $current) { $blocks.Add($current); $current = $null }
            $i++
            continue
        }
        if ($line -match '^\s*\|') {
            if ($null -eq $current -or $current.Kind -ne 'Table') {
                if ($null -ne $current) { $blocks.Add($current) }
                $current = [pscustomobject]@{ Kind = 'Table'; Line = $lineNo; Lang = ''; Text = ''; Level = 0; Items = (New-Object System.Collections.Generic.List[object]) }
            }
            if ($line -notmatch '^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*(:?-{3,}:?\s*)?$') {
                $cells = $line.Trim()
                if ($cells.StartsWith('|')) { $cells = $cells.Substring(1) }
                if ($cells.EndsWith('|') -and -not $cells.EndsWith('\|')) { $cells = $cells.Substring(0, $cells.Length - 1) }
                $current.Items.Add(@($cells -split '(?<!\\)\|' | ForEach-Object { $_.Trim().Replace('\|', '|') }))
            }
            $i++
            continue
        }
        if ($line -match '^ {0,3}([-*+]|\d{1,3}[.)])\s+(.*)$') {
            $marker = $Matches[1]
            $itemText = $Matches[2]
            if ($null -eq $current -or $current.Kind -ne 'List') {
                if ($null -ne $current) { $blocks.Add($current) }
                $current = [pscustomobject]@{ Kind = 'List'; Line = $lineNo; Lang = ''; Text = ''; Level = 0; Items = (New-Object System.Collections.Generic.List[object]) }
            }
            if ($marker -match '^\d') { $bullet = $marker.TrimEnd(')').TrimEnd('.') + '.' } else { $bullet = '-' }
            $current.Items.Add([pscustomobject]@{ Bullet = $bullet; Text = $itemText.Trim() })
            $i++
            continue
        }
        if ($null -ne $current -and $current.Kind -eq 'List') {
            # A continuation line of the last list item.
            $last = $current.Items[$current.Items.Count - 1]
            $last.Text = $last.Text + ' ' + $line.Trim()
            $i++
            continue
        }
        if ($null -ne $current -and $current.Kind -eq 'Table') { $blocks.Add($current); $current = $null }
        if ($null -eq $current) {
            $current = [pscustomobject]@{ Kind = 'Paragraph'; Line = $lineNo; Lang = ''; Text = $line.Trim(); Level = 0; Items = $null }
        }
        else {
            $current.Text = $current.Text + ' ' + $line.Trim()
        }
        $i++
    }
    if ($null -ne $current) { $blocks.Add($current) }
    $blocks.ToArray()
}

function ConvertFrom-InlineMarkdown {
    # Markdown inline syntax to plain help text: links become their text (plus the address when it is absolute),
    # bold markers and backslash escapes go; `code` spans stay as they are, as platyPS leaves them.
    param([string]$Text)
    $result = [regex]::Replace($Text, '!?\[([^\]]+)\]\(([^)\s]*)(\s+"[^"]*")?\)', {
            param($m)
            $label = $m.Groups[1].Value
            $target = $m.Groups[2].Value
            if ($target -match '^[a-z][a-z0-9+.-]*://' -and $target -ne $label) { "$label ($target)" } else { $label }
        })
    $result = [regex]::Replace($result, '\*\*(.+?)\*\*', '$1')
    $result = [regex]::Replace($result, '(?<![\w\\])__(.+?)__(?!\w)', '$1')
    $result = [regex]::Replace($result, '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1')
    $result.Trim()
}

function Format-TableText {
    # A markdown table as aligned text lines (header, dashes, rows); the last column wraps within Width.
    param([object[]]$Rows, [int]$Indent, [int]$Width)
    $rows = @(foreach ($row in $Rows) { , @($row | ForEach-Object { ConvertFrom-InlineMarkdown $_ }) })
    $columns = ($rows | ForEach-Object { @($_).Count } | Measure-Object -Maximum).Maximum
    $widths = @(for ($c = 0; $c -lt $columns - 1; $c++) {
            ($rows | ForEach-Object { if ($c -lt @($_).Count) { $_[$c].Length } else { 0 } } | Measure-Object -Maximum).Maximum
        })
    $lead = $Indent + (($widths | Measure-Object -Sum).Sum) + 2 * ($columns - 1)
    $lastWidth = $Width - $lead
    $out = New-Object System.Collections.Generic.List[string]
    if ($lastWidth -lt 24) {
        # Too narrow for columns: one 'first: rest' entry per row.
        foreach ($row in $rows) {
            $cells = @($row)
            $rest = @($cells | Select-Object -Skip 1) -join '; '
            foreach ($l in (Split-TextLine -Text ("$($cells[0]): $rest") -Indent $Indent -HangingIndent ($Indent + 4) -Width $Width)) { $out.Add($l) }
        }
        return $out.ToArray()
    }
    $rowIndex = 0
    foreach ($row in $rows) {
        $cells = @($row)
        $prefix = ' ' * $Indent
        for ($c = 0; $c -lt $columns - 1; $c++) {
            $cell = ''
            if ($c -lt $cells.Count) { $cell = $cells[$c] }
            $prefix += $cell.PadRight($widths[$c] + 2)
        }
        $last = ''
        if ($columns - 1 -lt $cells.Count) { $last = $cells[$columns - 1] }
        $wrapped = @(Split-TextLine -Text $last -Indent 0 -HangingIndent 0 -Width $lastWidth)
        if ($wrapped.Count -eq 0) { $wrapped = @('') }
        $out.Add(($prefix + $wrapped[0]).TrimEnd())
        for ($k = 1; $k -lt $wrapped.Count; $k++) { $out.Add((' ' * $lead) + $wrapped[$k]) }
        if ($rowIndex -eq 0) {
            $dashes = ' ' * $Indent
            for ($c = 0; $c -lt $columns - 1; $c++) { $dashes += ('-' * $widths[$c]).PadRight($widths[$c] + 2) }
            $dashes += '-' * [Math]::Min([Math]::Max($last.Length, 1), $lastWidth)
            $out.Add($dashes)
        }
        $rowIndex++
    }
    $out.ToArray()
}

function Split-TextLine {
    # Wraps text into lines of at most Width characters: the first line indented by Indent, the others by HangingIndent.
    param([string]$Text, [int]$Indent, [int]$HangingIndent, [int]$Width)
    $words = @($Text -split '\s+' | Where-Object { $_ -ne '' })
    $lines = New-Object System.Collections.Generic.List[string]
    $line = ' ' * $Indent
    $empty = $true
    foreach ($word in $words) {
        if (-not $empty -and ($line.Length + 1 + $word.Length) -gt $Width) {
            $lines.Add($line)
            $line = (' ' * $HangingIndent) + $word
        }
        elseif ($empty) { $line += $word; $empty = $false }
        else { $line += ' ' + $word }
    }
    if (-not $empty) { $lines.Add($line) }
    $lines.ToArray()
}

function ConvertTo-HelpParagraph {
    # Blocks of a section to MAML paragraph strings: one per paragraph, per list item, per table row, per code block.
    param([object[]]$Blocks, [string]$File, [string]$Section)
    $paras = New-Object System.Collections.Generic.List[string]
    foreach ($block in $Blocks) {
        switch ($block.Kind) {
            'Paragraph' { $paras.Add((ConvertFrom-InlineMarkdown $block.Text)) }
            'List' { foreach ($item in $block.Items) { $paras.Add("$($item.Bullet) $(ConvertFrom-InlineMarkdown $item.Text)") } }
            'Table' { foreach ($l in (Format-TableText -Rows $block.Items.ToArray() -Indent 0 -Width 100)) { $paras.Add($l) } }
            'Code' { $paras.Add($block.Text) }
            default { throw (New-HelpError $File $block.Line "unexpected heading '$($block.Text)' in $Section.") }
        }
    }
    $paras.ToArray()
}

#endregion

#region Cmdlet help

function Read-YamlMetadata {
    param([object]$Block, [string]$File, [string]$Parameter)
    $values = @{}
    $n = 0
    foreach ($line in ($Block.Text -split "`n")) {
        $n++
        if ($line.Trim() -eq '') { continue }
        if ($line -notmatch '^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$') {
            throw (New-HelpError $File ($Block.Line + $n) "parameter -${Parameter}: yaml line is not 'key: value': '$line'.")
        }
        $key = $Matches[1]
        $value = $Matches[2]
        $known = @($YamlKeys | Where-Object { $_ -eq $key })
        if ($known.Count -eq 0) { throw (New-HelpError $File ($Block.Line + $n) "parameter -${Parameter}: unknown yaml key '$key'.") }
        if ($values.ContainsKey($key)) { throw (New-HelpError $File ($Block.Line + $n) "parameter -${Parameter}: duplicate yaml key '$key'.") }
        $values[$key] = $value
    }
    foreach ($key in $RequiredYamlKeys) {
        if (-not $values.ContainsKey($key)) { throw (New-HelpError $File $Block.Line "parameter -${Parameter}: the yaml block has no '$key'.") }
    }
    if ($values['Type'] -eq '') { throw (New-HelpError $File $Block.Line "parameter -${Parameter}: Type is empty.") }
    foreach ($key in 'Required', 'Accept wildcard characters') {
        if ($values[$key] -notmatch '^(?i:true|false)$') { throw (New-HelpError $File $Block.Line "parameter -${Parameter}: '$key' must be True or False, not '$($values[$key])'.") }
    }
    if ($values['Position'] -notmatch '^(?i:named|\d+)$') { throw (New-HelpError $File $Block.Line "parameter -${Parameter}: Position must be Named or a number, not '$($values['Position'])'.") }
    if ($values['Accept pipeline input'] -notmatch '^(?i:false|true(\s*\((ByValue|ByPropertyName|FromRemainingArguments)(,\s*(ByValue|ByPropertyName|FromRemainingArguments))*\))?)$') {
        throw (New-HelpError $File $Block.Line "parameter -${Parameter}: 'Accept pipeline input' must be False or True (ByValue, ByPropertyName), not '$($values['Accept pipeline input'])'.")
    }
    if ($values['Parameter Sets'] -eq '') { throw (New-HelpError $File $Block.Line "parameter -${Parameter}: 'Parameter Sets' is empty; use (All).") }
    $sets = @($values['Parameter Sets'] -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ -ne '' })
    $accepted = @()
    if ($values.ContainsKey('Accepted values')) { $accepted = @($values['Accepted values'] -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ -ne '' }) }
    $default = $values['Default value']
    if ($default -eq '') { $default = 'None' }
    $position = $values['Position']
    if ($position -match '^(?i:named)$') { $position = 'named' }
    $pipeline = $values['Accept pipeline input']
    if ($pipeline -match '^(?i:false)$') { $pipeline = 'False' }
    [pscustomobject]@{
        Line         = $Block.Line
        Type         = $values['Type']
        Sets         = $sets
        AllSets      = ($sets.Count -eq 1 -and $sets[0] -eq '(All)')
        Aliases      = @($values['Aliases'] -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ -ne '' })
        Accepted     = $accepted
        Required     = ($values['Required'] -match '^(?i:true)$')
        Position     = $position
        Default      = $default
        PipelineText = $pipeline
        Globbing     = ($values['Accept wildcard characters'] -match '^(?i:true)$')
    }
}

function Get-SectionMap {
    # Splits the blocks after the H1 into H2 sections: an ordered map of name -> blocks.
    param([object[]]$Blocks, [string]$File)
    $map = [ordered]@{}
    $name = $null
    $content = $null
    foreach ($block in $Blocks) {
        if ($block.Kind -eq 'Heading' -and $block.Level -eq 1) { throw (New-HelpError $File $block.Line "a second '# ' heading ('$($block.Text)'); sections are '## ' headings.") }
        if ($block.Kind -eq 'Heading' -and $block.Level -eq 2) {
            if ($null -ne $name) { $map[$name] = $content.ToArray() }
            $name = $block.Text.Trim().ToUpperInvariant()
            if ($CommandSections -notcontains $name) { throw (New-HelpError $File $block.Line "unknown section '## $($block.Text)'. Sections: $($CommandSections -join ', ').") }
            if ($map.Contains($name)) { throw (New-HelpError $File $block.Line "section '## $name' appears twice.") }
            $content = New-Object System.Collections.Generic.List[object]
            continue
        }
        if ($null -eq $name) { throw (New-HelpError $File $block.Line "content before the first section ('## SYNOPSIS').") }
        $content.Add($block)
    }
    if ($null -ne $name) { $map[$name] = $content.ToArray() }
    foreach ($section in $CommandSections) {
        if (-not $map.Contains($section)) { throw (New-HelpError $File 0 "the '## $section' section is missing.") }
    }
    $map
}

function Split-BySubheading {
    # H3 entries of a section: @{ Title; Line; Blocks }. Content before the first H3 is an error.
    param([object[]]$Blocks, [string]$File, [string]$Section)
    $entries = New-Object System.Collections.Generic.List[object]
    $entry = $null
    foreach ($block in $Blocks) {
        if ($block.Kind -eq 'Heading') {
            if ($block.Level -ne 3) { throw (New-HelpError $File $block.Line "$Section entries are '### ' headings, not '$('#' * $block.Level) '.") }
            $entry = [pscustomobject]@{ Title = $block.Text.Trim(); Line = $block.Line; Blocks = (New-Object System.Collections.Generic.List[object]) }
            $entries.Add($entry)
            continue
        }
        if ($null -eq $entry) { throw (New-HelpError $File $block.Line "$Section content must be under a '### ' heading.") }
        $entry.Blocks.Add($block)
    }
    $entries.ToArray()
}

function Read-CommandHelp {
    param([string]$Path)
    $md = Read-MarkdownFile $Path
    $file = $md.Name
    if ($null -eq $md.FrontMatter) { throw (New-HelpError $file 1 "no front matter: a cmdlet help file starts with '---', 'external help file: ...', 'Module Name: ...', 'schema: 2.0.0', '---'.") }
    foreach ($key in 'external help file', 'Module Name', 'schema') {
        if (-not $md.FrontMatter.ContainsKey($key) -or $md.FrontMatter[$key] -eq '') { throw (New-HelpError $file 1 "the front matter has no '$key'.") }
    }
    if ($md.FrontMatter['schema'] -ne '2.0.0') { throw (New-HelpError $file 1 "schema '$($md.FrontMatter['schema'])' is not supported; use 2.0.0.") }
    $online = ''
    if ($md.FrontMatter.ContainsKey('online version')) { $online = $md.FrontMatter['online version'] }

    $blocks = @(ConvertTo-MarkdownBlock -Lines $md.Lines -Start $md.Start -File $file)
    if ($blocks.Count -eq 0 -or $blocks[0].Kind -ne 'Heading' -or $blocks[0].Level -ne 1) { throw (New-HelpError $file 0 "the first heading must be '# <Cmdlet-Name>'.") }
    $name = $blocks[0].Text.Trim()
    if ($name -notmatch '^[A-Za-z]+-[A-Za-z0-9]+$') { throw (New-HelpError $file $blocks[0].Line "'$name' is not a Verb-Noun command name.") }
    $baseName = [System.IO.Path]::GetFileNameWithoutExtension($Path)
    if ($name -ne $baseName) { throw (New-HelpError $file $blocks[0].Line "the heading '# $name' does not match the file name '$baseName'.") }
    $sections = Get-SectionMap -Blocks @($blocks | Select-Object -Skip 1) -File $file

    # SYNOPSIS
    $synopsis = @(ConvertTo-HelpParagraph -Blocks $sections['SYNOPSIS'] -File $file -Section 'SYNOPSIS' | Where-Object { $_.Trim() -ne '' })
    if ($synopsis.Count -eq 0) { throw (New-HelpError $file 0 'the SYNOPSIS section is empty.') }

    # SYNTAX: one code block per parameter set, each under '### SetName' or '### SetName (Default)'.
    $syntax = New-Object System.Collections.Generic.List[object]
    $setName = $null
    $setLine = 0
    $syntaxBlocks = @($sections['SYNTAX'])
    foreach ($block in $syntaxBlocks) {
        if ($block.Kind -eq 'Heading') {
            if ($block.Level -ne 3) { throw (New-HelpError $file $block.Line "parameter sets in SYNTAX are '### ' headings.") }
            if ($null -ne $setName) { throw (New-HelpError $file $setLine "parameter set '$setName' has no syntax code block.") }
            if ($block.Text -notmatch '^\s*([^\s(]+)\s*(\((?i:default)\))?\s*$') { throw (New-HelpError $file $block.Line "'### $($block.Text)' is not 'SetName' or 'SetName (Default)'.") }
            $setName = $Matches[1]
            $setLine = $block.Line
            continue
        }
        if ($block.Kind -ne 'Code') { throw (New-HelpError $file $block.Line 'SYNTAX holds only parameter set headings and code blocks.') }
        if ($null -eq $setName) {
            if (@($syntaxBlocks | Where-Object { $_.Kind -eq 'Code' }).Count -ne 1) { throw (New-HelpError $file $block.Line "with several parameter sets, each syntax block needs a '### SetName' heading.") }
            $setName = $AllParameterSets
        }
        $text = ($block.Text -split "`n" | ForEach-Object { $_.Trim() }) -join ' '
        if (-not $text.StartsWith($name + ' ') -and $text -ne $name) { throw (New-HelpError $file $block.Line "the syntax of '$setName' does not start with '$name'.") }
        if (@($syntax | Where-Object { $_.Name -eq $setName }).Count -gt 0) { throw (New-HelpError $file $block.Line "parameter set '$setName' appears twice in SYNTAX.") }
        $names = @([regex]::Matches($text, '(?<=[\s\[])-([A-Za-z][A-Za-z0-9_]*)') | ForEach-Object { $_.Groups[1].Value })
        $syntax.Add([pscustomobject]@{ Name = $setName; Line = $block.Line; Text = $text; ParameterNames = $names })
        $setName = $null
    }
    if ($null -ne $setName) { throw (New-HelpError $file $setLine "parameter set '$setName' has no syntax code block.") }
    if ($syntax.Count -eq 0) { throw (New-HelpError $file 0 'the SYNTAX section has no syntax code block.') }

    # DESCRIPTION
    $description = @(ConvertTo-HelpParagraph -Blocks $sections['DESCRIPTION'] -File $file -Section 'DESCRIPTION')
    if ($description.Count -eq 0) { throw (New-HelpError $file 0 'the DESCRIPTION section is empty.') }

    # EXAMPLES
    $examples = New-Object System.Collections.Generic.List[object]
    foreach ($entry in (Split-BySubheading -Blocks $sections['EXAMPLES'] -File $file -Section 'EXAMPLES')) {
        $code = @($entry.Blocks | Where-Object { $_.Kind -eq 'Code' } | ForEach-Object { $_.Text })
        if ($code.Count -eq 0) { throw (New-HelpError $file $entry.Line "example '$($entry.Title)' has no code block.") }
        $remarks = @(ConvertTo-HelpParagraph -Blocks @($entry.Blocks | Where-Object { $_.Kind -ne 'Code' }) -File $file -Section 'EXAMPLES')
        $examples.Add([pscustomobject]@{ Title = $entry.Title; Code = ($code -join "`n`n"); Remarks = $remarks })
    }
    if ($examples.Count -eq 0) { throw (New-HelpError $file 0 "the EXAMPLES section has no '### Example' entry.") }

    # PARAMETERS: '### -Name', its description, then one or more yaml blocks; '### CommonParameters' is standard text.
    $parameters = New-Object System.Collections.Generic.List[object]
    foreach ($entry in (Split-BySubheading -Blocks $sections['PARAMETERS'] -File $file -Section 'PARAMETERS')) {
        if ($entry.Title -eq 'CommonParameters') { continue }
        if ($entry.Title -notmatch '^-([A-Za-z][A-Za-z0-9_]*)$') { throw (New-HelpError $file $entry.Line "'### $($entry.Title)' is not '### -ParameterName' or '### CommonParameters'.") }
        $parameterName = $Matches[1]
        if (@($parameters | Where-Object { $_.Name -eq $parameterName }).Count -gt 0) { throw (New-HelpError $file $entry.Line "parameter -$parameterName is documented twice.") }
        $yaml = @($entry.Blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Lang -eq 'yaml' })
        if ($yaml.Count -eq 0) { throw (New-HelpError $file $entry.Line "parameter -$parameterName has no ``````yaml metadata block.") }
        $descriptionBlocks = @($entry.Blocks | Where-Object { -not ($_.Kind -eq 'Code' -and $_.Lang -eq 'yaml') })
        $parameterDescription = @(ConvertTo-HelpParagraph -Blocks $descriptionBlocks -File $file -Section "parameter -$parameterName")
        if ($parameterDescription.Count -eq 0) { throw (New-HelpError $file $entry.Line "parameter -$parameterName has no description.") }
        $metadata = @(foreach ($block in $yaml) { Read-YamlMetadata -Block $block -File $file -Parameter $parameterName })
        $parameters.Add([pscustomobject]@{ Name = $parameterName; Line = $entry.Line; Description = $parameterDescription; Metadata = $metadata })
    }

    # Cross-check the parameters' sets with SYNTAX.
    $setNames = @($syntax | ForEach-Object { $_.Name })
    foreach ($parameter in $parameters) {
        $seen = @{}
        foreach ($meta in $parameter.Metadata) {
            $covered = if ($meta.AllSets) { $setNames } else { $meta.Sets }
            foreach ($set in $covered) {
                if ($setNames -notcontains $set) { throw (New-HelpError $file $meta.Line "parameter -$($parameter.Name) names parameter set '$set', which SYNTAX does not have (sets: $($setNames -join ', ')).") }
                if ($seen.ContainsKey($set)) { throw (New-HelpError $file $meta.Line "parameter -$($parameter.Name) has two yaml blocks for parameter set '$set'.") }
                $seen[$set] = $meta
            }
        }
    }
    $syntaxItems = New-Object System.Collections.Generic.List[object]
    foreach ($set in $syntax) {
        $members = New-Object System.Collections.Generic.List[object]
        foreach ($parameter in $parameters) {
            foreach ($meta in $parameter.Metadata) {
                if ($meta.AllSets -or $meta.Sets -contains $set.Name) { $members.Add([pscustomobject]@{ Parameter = $parameter; Meta = $meta }) }
            }
        }
        $documented = @($members | ForEach-Object { $_.Parameter.Name })
        $missing = @($documented | Where-Object { $set.ParameterNames -notcontains $_ })
        $extra = @($set.ParameterNames | Where-Object { $documented -notcontains $_ })
        if ($missing.Count -gt 0) { throw (New-HelpError $file $set.Line "the syntax of '$($set.Name)' lacks -$($missing -join ', -'), which PARAMETERS puts in this set.") }
        if ($extra.Count -gt 0) { throw (New-HelpError $file $set.Line "the syntax of '$($set.Name)' has -$($extra -join ', -'), which PARAMETERS does not document for this set.") }
        # The syntax item lists the parameters in the order the SYNTAX block shows them.
        $ordered = @(foreach ($parameterName in ($set.ParameterNames | Select-Object -Unique)) { $members | Where-Object { $_.Parameter.Name -eq $parameterName } })
        $syntaxItems.Add([pscustomobject]@{ Name = $set.Name; Members = $ordered })
    }

    # INPUTS, OUTPUTS
    $io = @{}
    foreach ($section in 'INPUTS', 'OUTPUTS') {
        $entries = @(Split-BySubheading -Blocks $sections[$section] -File $file -Section $section)
        if ($entries.Count -eq 0) { throw (New-HelpError $file 0 "the $section section has no '### TypeName' entry (use '### None').") }
        $io[$section] = @(foreach ($entry in $entries) {
                [pscustomobject]@{ TypeName = $entry.Title; Description = @(ConvertTo-HelpParagraph -Blocks $entry.Blocks.ToArray() -File $file -Section $section) }
            })
    }

    # NOTES
    $notes = @(ConvertTo-HelpParagraph -Blocks $sections['NOTES'] -File $file -Section 'NOTES')

    # RELATED LINKS: '[text](address)' or plain text, one per paragraph or list item.
    $links = New-Object System.Collections.Generic.List[object]
    if ($online -ne '') {
        $uri = $null
        if (-not [System.Uri]::TryCreate($online, [System.UriKind]::Absolute, [ref]$uri)) { throw (New-HelpError $file 1 "'online version' is not an absolute address: '$online'.") }
        $links.Add([pscustomobject]@{ Text = 'Online Version:'; Uri = $online })
    }
    foreach ($block in $sections['RELATED LINKS']) {
        $texts = switch ($block.Kind) {
            'Paragraph' { , @($block.Text) }
            'List' { , @($block.Items | ForEach-Object { $_.Text }) }
            default { throw (New-HelpError $file $block.Line "RELATED LINKS holds only '[text](address)' lines.") }
        }
        foreach ($text in $texts) {
            if ($text -match '^\[([^\]]+)\]\(([^)\s]*)\)$') {
                $target = $Matches[2]
                $uri = $null
                if (-not [System.Uri]::TryCreate($target, [System.UriKind]::Absolute, [ref]$uri)) { $target = '' }
                $links.Add([pscustomobject]@{ Text = $Matches[1]; Uri = $target })
            }
            elseif ($text -notmatch '\[|\]\(') {
                $links.Add([pscustomobject]@{ Text = (ConvertFrom-InlineMarkdown $text); Uri = '' })
            }
            else { throw (New-HelpError $file $block.Line "'$text' is not one '[text](address)' link.") }
        }
    }

    [pscustomobject]@{
        File        = $file
        HelpFile    = $md.FrontMatter['external help file']
        Module      = $md.FrontMatter['Module Name']
        Name        = $name
        Synopsis    = $synopsis
        Description = $description
        SyntaxItems = $syntaxItems.ToArray()
        Parameters  = $parameters.ToArray()
        Inputs      = $io['INPUTS']
        Outputs     = $io['OUTPUTS']
        Notes       = $notes
        Examples    = $examples.ToArray()
        Links       = $links.ToArray()
    }
}

function Write-Para {
    param([System.Xml.XmlWriter]$Writer, [string[]]$Paragraphs)
    foreach ($para in $Paragraphs) { $Writer.WriteElementString('para', $MamlNs, $para) }
}

function Write-MamlDescription {
    param([System.Xml.XmlWriter]$Writer, [string[]]$Paragraphs)
    $Writer.WriteStartElement('description', $MamlNs)
    Write-Para $Writer $Paragraphs
    $Writer.WriteEndElement()
}

function Get-ExampleTitle {
    # platyPS pads short example titles with dashes to 64 characters.
    param([string]$Title)
    if ($Title.Trim() -eq '' -or $Title.Length -ge 62) { return $Title }
    $pad = [int][Math]::Floor((64 - $Title.Length - 2) / 2)
    ('-' * $pad) + ' ' + $Title + ' ' + ('-' * $pad)
}

function Write-MamlParameter {
    param([System.Xml.XmlWriter]$Writer, [object]$Parameter, [object]$Meta, [bool]$InSyntax)
    $isSwitch = @('SwitchParameter', 'switch', 'System.Management.Automation.SwitchParameter') -contains $Meta.Type
    $type = if ($isSwitch) { 'SwitchParameter' } else { $Meta.Type }
    $Writer.WriteStartElement('parameter', $CommandNs)
    $Writer.WriteAttributeString('required', $Meta.Required.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', 'true')
    $Writer.WriteAttributeString('globbing', $Meta.Globbing.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $Meta.PipelineText)
    $Writer.WriteAttributeString('position', $Meta.Position)
    $aliases = if (@($Meta.Aliases).Count -gt 0) { @($Meta.Aliases) -join ', ' } else { 'none' }
    $Writer.WriteAttributeString('aliases', $aliases)
    $Writer.WriteElementString('name', $MamlNs, $Parameter.Name)
    Write-MamlDescription $Writer $Parameter.Description
    if ($InSyntax -and @($Meta.Accepted).Count -gt 0) {
        $Writer.WriteStartElement('parameterValueGroup', $CommandNs)
        foreach ($value in $Meta.Accepted) {
            $Writer.WriteStartElement('parameterValue', $CommandNs)
            $Writer.WriteAttributeString('required', 'false')
            $Writer.WriteAttributeString('variableLength', 'false')
            $Writer.WriteString($value)
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }
    if (-not $InSyntax -or -not $isSwitch) {
        $Writer.WriteStartElement('parameterValue', $CommandNs)
        $Writer.WriteAttributeString('required', (-not $isSwitch).ToString().ToLowerInvariant())
        $Writer.WriteAttributeString('variableLength', $type.EndsWith('[]').ToString().ToLowerInvariant())
        $Writer.WriteString($type)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('type', $DevNs)
    $Writer.WriteElementString('name', $MamlNs, $type)
    $Writer.WriteElementString('uri', $MamlNs, '')
    $Writer.WriteEndElement()
    $default = $Meta.Default
    if ($isSwitch -and $default -eq 'None') { $default = 'False' }
    $Writer.WriteElementString('defaultValue', $DevNs, $default)
    $Writer.WriteEndElement()
}

function Write-MamlFile {
    param([object[]]$Commands, [string]$Path)
    $settings = New-Object System.Xml.XmlWriterSettings
    $settings.Indent = $true
    $settings.IndentChars = '  '
    $settings.Encoding = New-Object System.Text.UTF8Encoding($false)
    $settings.CheckCharacters = $true
    $temp = "$Path.tmp"
    $writer = [System.Xml.XmlWriter]::Create($temp, $settings)
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', $MshNs)
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($command in $Commands) {
            $writer.WriteStartElement('command', 'command', $CommandNs)
            $writer.WriteAttributeString('xmlns', 'maml', $XmlnsNs, $MamlNs)
            $writer.WriteAttributeString('xmlns', 'command', $XmlnsNs, $CommandNs)
            $writer.WriteAttributeString('xmlns', 'dev', $XmlnsNs, $DevNs)
            $writer.WriteAttributeString('xmlns', 'MSHelp', $XmlnsNs, $MsHelpNs)

            $writer.WriteStartElement('details', $CommandNs)
            $writer.WriteElementString('name', $CommandNs, $command.Name)
            $dash = $command.Name.IndexOf('-')
            $writer.WriteElementString('verb', $CommandNs, $command.Name.Substring(0, $dash))
            $writer.WriteElementString('noun', $CommandNs, $command.Name.Substring($dash + 1))
            Write-MamlDescription $writer $command.Synopsis
            $writer.WriteEndElement()

            Write-MamlDescription $writer $command.Description

            $writer.WriteStartElement('syntax', $CommandNs)
            foreach ($item in $command.SyntaxItems) {
                $writer.WriteStartElement('syntaxItem', $CommandNs)
                $writer.WriteElementString('name', $MamlNs, $command.Name)
                foreach ($member in $item.Members) { Write-MamlParameter $writer $member.Parameter $member.Meta $true }
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteStartElement('parameters', $CommandNs)
            foreach ($parameter in $command.Parameters) { Write-MamlParameter $writer $parameter $parameter.Metadata[0] $false }
            $writer.WriteEndElement()

            foreach ($kind in @(@('inputTypes', 'inputType', 'Inputs'), @('returnValues', 'returnValue', 'Outputs'))) {
                $writer.WriteStartElement($kind[0], $CommandNs)
                foreach ($entry in $command.($kind[2])) {
                    $writer.WriteStartElement($kind[1], $CommandNs)
                    $writer.WriteStartElement('type', $DevNs)
                    $writer.WriteElementString('name', $MamlNs, $entry.TypeName)
                    $writer.WriteEndElement()
                    Write-MamlDescription $writer $entry.Description
                    $writer.WriteEndElement()
                }
                $writer.WriteEndElement()
            }

            $writer.WriteStartElement('alertSet', $MamlNs)
            $writer.WriteStartElement('alert', $MamlNs)
            Write-Para $writer $command.Notes
            $writer.WriteEndElement()
            $writer.WriteEndElement()

            $writer.WriteStartElement('examples', $CommandNs)
            foreach ($example in $command.Examples) {
                $writer.WriteStartElement('example', $CommandNs)
                $writer.WriteElementString('title', $MamlNs, (Get-ExampleTitle $example.Title))
                $writer.WriteElementString('code', $DevNs, $example.Code)
                $writer.WriteStartElement('remarks', $DevNs)
                Write-Para $writer $example.Remarks
                $writer.WriteEndElement()
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteStartElement('relatedLinks', $CommandNs)
            foreach ($link in $command.Links) {
                $writer.WriteStartElement('navigationLink', $MamlNs)
                $writer.WriteElementString('linkText', $MamlNs, $link.Text)
                $writer.WriteElementString('uri', $MamlNs, $link.Uri)
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
        $writer.WriteEndDocument()
    }
    finally { $writer.Close() }
    # Reload the result: a file the XML parser refuses must not reach the module.
    $check = New-Object System.Xml.XmlDocument
    $check.Load($temp)
    Move-Item -LiteralPath $temp -Destination $Path -Force
}

#endregion

#region About topics

function Read-AboutHelp {
    # An about_*.md file as the lines of its help.txt: TOPIC, the name, then the sections, wrapped at 80 columns.
    param([string]$Path)
    $md = Read-MarkdownFile $Path
    $file = $md.Name
    $topic = [System.IO.Path]::GetFileNameWithoutExtension($Path)
    $blocks = @(ConvertTo-MarkdownBlock -Lines $md.Lines -Start $md.Start -File $file)
    if ($blocks.Count -eq 0 -or $blocks[0].Kind -ne 'Heading' -or $blocks[0].Level -ne 1) { throw (New-HelpError $file 0 "the first heading must be '# $topic'.") }
    if ($blocks[0].Text.Trim() -ne $topic) { throw (New-HelpError $file $blocks[0].Line "the heading '# $($blocks[0].Text)' does not match the file name '$topic'.") }
    $shortIndex = -1
    $hasLong = $false
    for ($b = 0; $b -lt $blocks.Count; $b++) {
        if ($blocks[$b].Kind -ne 'Heading') { continue }
        if ($blocks[$b].Text.Trim() -match '^(?i)short description$') { $shortIndex = $b }
        if ($blocks[$b].Text.Trim() -match '^(?i)long description$') { $hasLong = $true }
    }
    if ($shortIndex -lt 0) { throw (New-HelpError $file 0 "the 'SHORT DESCRIPTION' section is missing.") }
    if ($shortIndex + 1 -ge $blocks.Count -or $blocks[$shortIndex + 1].Kind -ne 'Paragraph') { throw (New-HelpError $file $blocks[$shortIndex].Line "the 'SHORT DESCRIPTION' section must start with a paragraph.") }
    if (-not $hasLong) { throw (New-HelpError $file 0 "the 'LONG DESCRIPTION' section is missing.") }

    $out = New-Object System.Collections.Generic.List[string]
    $out.Add('TOPIC')
    $out.Add('    ' + $topic)
    $out.Add('')
    $start = 1
    # platyPS' about template repeats the topic name as a '## about_Name' heading; it is the TOPIC line already.
    if ($blocks.Count -gt 1 -and $blocks[1].Kind -eq 'Heading' -and $blocks[1].Text.Trim() -eq $topic) { $start = 2 }
    for ($b = $start; $b -lt $blocks.Count; $b++) {
        $block = $blocks[$b]
        switch ($block.Kind) {
            'Heading' {
                $title = ConvertFrom-InlineMarkdown $block.Text
                if ($block.Level -eq 1) {
                    $out.Add($title.ToUpperInvariant())
                }
                elseif ($block.Level -eq 2) {
                    $out.Add('    ' + $title)
                    $out.Add('    ' + ('-' * $title.Length))
                }
                else {
                    $out.Add('    ' + $title)
                }
            }
            'Paragraph' {
                foreach ($l in (Split-TextLine -Text (ConvertFrom-InlineMarkdown $block.Text) -Indent 4 -HangingIndent 4 -Width $TextWidth)) { $out.Add($l) }
                $out.Add('')
            }
            'List' {
                foreach ($item in $block.Items) {
                    $bullet = $item.Bullet + ' '
                    foreach ($l in (Split-TextLine -Text ($bullet + (ConvertFrom-InlineMarkdown $item.Text)) -Indent 4 -HangingIndent (4 + $bullet.Length) -Width $TextWidth)) { $out.Add($l) }
                }
                $out.Add('')
            }
            'Table' {
                foreach ($l in (Format-TableText -Rows $block.Items.ToArray() -Indent 4 -Width $TextWidth)) { $out.Add($l) }
                $out.Add('')
            }
            'Code' {
                foreach ($l in ($block.Text -split "`n")) { $out.Add(('        ' + $l).TrimEnd()) }
                $out.Add('')
            }
        }
    }
    while ($out.Count -gt 0 -and $out[$out.Count - 1] -eq '') { $out.RemoveAt($out.Count - 1) }
    [pscustomobject]@{ Topic = $topic; Lines = $out.ToArray() }
}

#endregion

$source = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($SourcePath)
$output = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
if (-not (Test-Path -LiteralPath $source -PathType Container)) { throw "SourcePath '$SourcePath' is not a folder." }

$files = @(Get-ChildItem -LiteralPath $source -Filter '*.md' -File | Sort-Object Name)
$commands = New-Object System.Collections.Generic.List[object]
$abouts = New-Object System.Collections.Generic.List[object]
$problems = New-Object System.Collections.Generic.List[string]
foreach ($item in $files) {
    try {
        if ($item.Name -like 'about_*') { $abouts.Add((Read-AboutHelp $item.FullName)) }
        else { $commands.Add((Read-CommandHelp $item.FullName)) }
    }
    catch { $problems.Add($_.Exception.Message) }
}
if ($commands.Count -eq 0 -and $problems.Count -eq 0) { $problems.Add("no cmdlet help (*.md other than about_*.md) in '$SourcePath'.") }
$helpFiles = @($commands | ForEach-Object { $_.HelpFile } | Sort-Object -Unique)
if ($helpFiles.Count -gt 1) { $problems.Add("the cmdlet help files name different external help files: $($helpFiles -join ', '). They must all name one.") }
$duplicates = @($commands | Group-Object Name | Where-Object { $_.Count -gt 1 } | ForEach-Object { $_.Name })
if ($duplicates.Count -gt 0) { $problems.Add("commands documented twice: $($duplicates -join ', ').") }
if ($helpFiles.Count -eq 1 -and $helpFiles[0] -notmatch '^[\w.-]+-Help\.xml$') { $problems.Add("external help file '$($helpFiles[0])' is not a '<name>-Help.xml' file name.") }
if ($problems.Count -gt 0) {
    throw ("The markdown help is malformed; no help was written:`n  " + ($problems.ToArray() -join "`n  "))
}

if (-not (Test-Path -LiteralPath $output -PathType Container)) { $null = New-Item -ItemType Directory -Path $output -Force }
$mamlPath = Join-Path $output $helpFiles[0]
Write-MamlFile -Commands $commands.ToArray() -Path $mamlPath
Get-Item -LiteralPath $mamlPath
$encoding = New-Object System.Text.UTF8Encoding($false)
foreach ($about in $abouts) {
    $path = Join-Path $output "$($about.Topic).help.txt"
    [System.IO.File]::WriteAllText($path, (($about.Lines -join [Environment]::NewLine) + [Environment]::NewLine), $encoding)
    Get-Item -LiteralPath $path
}
