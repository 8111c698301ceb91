#Requires -Version 7.2
<#
.SYNOPSIS
Builds the module's help (MAML and about_*.help.txt) from the built module's metadata and the prose in docs/en-US.

.DESCRIPTION
The markdown (parsed with Markdig, which ships with pwsh) holds only what a person writes: each cmdlet page has
'# <cmdlet>', then '## SYNOPSIS', '## DESCRIPTION', '## EXAMPLES' ('### <title>' each), '## PARAMETERS'
('### -<name>' each), '## INPUTS' and '## OUTPUTS' ('### <type>' each), '## NOTES' and '## RELATED LINKS'.
Syntax, parameter types, sets, positions, pipeline input, mandatory flags, aliases, accepted values and wildcard
support come from the imported module (Get-Command and the parameters' attributes). Run this script in its own pwsh:
it imports the module, and a loaded assembly cannot be unloaded.

The markdown must agree with the metadata; every disagreement is reported as '<cmdlet> -<parameter>: <field>: ...'
and nothing is written:
- documented: every parameter (-WhatIf and -Confirm included, the common parameters excluded) has a section, and
  every section names a parameter of the cmdlet; every exported cmdlet has a page.
- wildcard support: a description says 'Wildcard characters are permitted' exactly when the parameter has
  [SupportsWildcards].
- default value: an optional last paragraph 'Default value: <text>' may describe a default the code cannot show;
  where the cmdlet initialises the property (value types and switches), the text must be that value.
- pipeline input: the INPUTS types (besides None and System.Object) are the types of the parameters that take
  pipeline input; None exactly when none does.
- output type: the OUTPUTS types (besides None) are the [OutputType] types, plus System.UInt64 with SupportsPaging.

An example may carry a marker for the examples test (tests/Pester/Examples.Tests.ps1), an HTML comment right after
its heading: '<!-- example', lines 'key: value' with the keys in $MarkerKeys, then '-->'. -ListExamples returns the
examples and their markers without importing the module.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string]$SourcePath,
    [string]$ModulePath,
    [string]$OutputPath,
    [switch]$ListExamples
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$null = [Reflection.Assembly]::LoadFrom((Join-Path $PSHOME 'Markdig.Signed.dll'))
$Pipeline = [Markdig.MarkdownExtensions]::UsePipeTables([Markdig.MarkdownPipelineBuilder]::new()).Build()
$MarkerKeys = @('skip', 'setup', 'sample', 'answers', 'expect', 'errors', 'connections')
$SectionNames = @('SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS')
$Problems = [Collections.Generic.List[string]]::new()
$Width = 79

#region Markdown

function Read-Markdown([string]$Path) {
    $text = [IO.File]::ReadAllText($Path)
    [pscustomobject]@{ File = Split-Path -Leaf $Path; Blocks = @([Markdig.Markdown]::Parse($text, $Pipeline)) }
}

function Get-InlineText($Container) {
    $text = foreach ($inline in $Container) {
        switch ($inline.GetType().Name) {
            'LiteralInline' { $inline.Content.ToString() }
            'CodeInline' { '`' + $inline.Content + '`' }
            'LineBreakInline' { ' ' }
            'EmphasisInline' { Get-InlineText $inline }
            'HtmlEntityInline' { $inline.Transcoded.ToString() }
            'AutolinkInline' { $inline.Url }
            'HtmlInline' { $inline.Tag }
            'LinkInline' {
                $label = Get-InlineText $inline
                if ($inline.Url -match '^[a-z][a-z0-9+.-]*://' -and $inline.Url -ne $label) { "$label ($($inline.Url))" } else { $label }
            }
            default { throw "unsupported inline markdown: $_" }
        }
    }
    (-join $text).Trim()
}

function Get-BlockText($Block) {
    if ($Block.GetType().Name -in 'ParagraphBlock', 'HeadingBlock') { return Get-InlineText $Block.Inline }
    ($Block | ForEach-Object { Get-BlockText $_ }) -join ' '
}

function Split-Heading([object[]]$Blocks, [int]$Level) {
    # The blocks under each heading of this level: Title, Line, Blocks (the blocks before the first heading are dropped).
    $parts = [Collections.Generic.List[object]]::new()
    foreach ($block in $Blocks) {
        if ($block -is [Markdig.Syntax.HeadingBlock] -and $block.Level -eq $Level) {
            $parts.Add([pscustomobject]@{ Title = Get-InlineText $block.Inline; Line = $block.Line + 1; Blocks = [Collections.Generic.List[object]]::new() })
        }
        elseif ($parts.Count -gt 0) { $parts[-1].Blocks.Add($block) }
    }
    $parts
}

function Format-MarkdownTable([object]$Table, [int]$Indent) {
    $rows = @(foreach ($row in $Table) { , @($row | ForEach-Object { Get-BlockText $_ }) })
    $columns = $rows[0].Count
    $widths = @(for ($c = 0; $c -lt $columns - 1; $c++) { ($rows | ForEach-Object { $_[$c].Length } | Measure-Object -Maximum).Maximum })
    $lead = $Indent + ($widths | Measure-Object -Sum).Sum + 2 * ($columns - 1)
    foreach ($r in 0..($rows.Count - 1)) {
        $prefix = (' ' * $Indent) + -join @(for ($c = 0; $c -lt $columns - 1; $c++) { $rows[$r][$c].PadRight($widths[$c] + 2) })
        $last = @(Split-Line $rows[$r][-1] 0 0 ($Width - $lead))
        ($prefix + $last[0]).TrimEnd()
        $last | Select-Object -Skip 1 | ForEach-Object { (' ' * $lead) + $_ }
        if ($r -eq 0) { (' ' * $Indent) + -join @($widths | ForEach-Object { ('-' * $_).PadRight($_ + 2) }) + ('-' * $rows[0][-1].Length) }
    }
}

function Split-Line([string]$Text, [int]$Indent, [int]$Hanging, [int]$Max = $Width) {
    $line = ' ' * $Indent
    $empty = $true
    foreach ($word in ($Text -split '\s+' | Where-Object { $_ })) {
        if (-not $empty -and $line.Length + 1 + $word.Length -gt $Max) { $line; $line = (' ' * $Hanging) + $word }
        elseif ($empty) { $line += $word; $empty = $false }
        else { $line += " $word" }
    }
    if (-not $empty) { $line } elseif ($Indent -eq 0) { '' }
}

function ConvertTo-Paragraph([object[]]$Blocks) {
    # Help paragraphs: one per paragraph, list item, table line and code block. HTML comments (markers) are dropped.
    foreach ($block in $Blocks) {
        switch ($block.GetType().Name) {
            'ParagraphBlock' { Get-InlineText $block.Inline }
            'ListBlock' { $n = 0; foreach ($item in $block) { $n++; "$(if ($block.IsOrdered) { "$n." } else { '-' }) $(Get-BlockText $item)" } }
            'Table' { Format-MarkdownTable $block 0 }
            'FencedCodeBlock' { $block.Lines.ToString() }
            'HtmlBlock' { }
            default { throw "unsupported markdown block: $_ (line $($block.Line + 1))" }
        }
    }
}

function Read-Marker([object]$Example, [string]$Where) {
    $marker = @{}
    foreach ($html in @($Example.Blocks | Where-Object { $_ -is [Markdig.Syntax.HtmlBlock] })) {
        $lines = @($html.Lines.ToString() -split "`n")
        if ($lines[0].Trim() -ne '<!-- example' -or $lines[-1].Trim() -ne '-->') { $Problems.Add("${Where}: an example marker is '<!-- example', 'key: value' lines, '-->'."); continue }
        foreach ($line in $lines[1..($lines.Count - 2)]) {
            if ($line -notmatch '^\s*([a-z]+):\s*(.+?)\s*$' -or $Matches[1] -notin $MarkerKeys) { $Problems.Add("${Where}: unknown marker line '$line' (keys: $($MarkerKeys -join ', '))."); continue }
            $marker[$Matches[1]] = @($marker[$Matches[1]] | Where-Object { $_ }) + $Matches[2]
        }
    }
    $marker
}

function Read-Example([object]$Section, [string]$Page) {
    foreach ($example in $Section) {
        $where = "$Page, '$($example.Title)'"
        $code = @($example.Blocks | Where-Object { $_ -is [Markdig.Syntax.FencedCodeBlock] -and $_.Info -eq 'powershell' } | ForEach-Object { $_.Lines.ToString() }) -join "`n"
        if (-not $code) { $Problems.Add("${where}: the example has no powershell code block.") }
        $output = @($example.Blocks | Where-Object { $_ -is [Markdig.Syntax.FencedCodeBlock] -and $_.Info -ne 'powershell' } | ForEach-Object { $_.Lines.ToString() })
        $remarks = @($example.Blocks | Where-Object { $_ -isnot [Markdig.Syntax.FencedCodeBlock] })
        [pscustomobject]@{
            Page = $Page; Title = $example.Title; Code = $code; Output = $output
            Remarks = @(ConvertTo-Paragraph $remarks); Marker = Read-Marker $example $where
        }
    }
}

#endregion

#region Cmdlet pages against the metadata

function Get-TypeName([type]$Type, [switch]$Full) {
    $element = if ($Type.IsArray) { $Type.GetElementType() } else { $Type }
    $element = [Nullable]::GetUnderlyingType($element) ?? $element
    if ($Full) { return $element.FullName }
    $element.Name + $(if ($Type.IsArray) { '[]' })
}

function Get-ParameterInfo($Command, $Parameter, [string]$Set, $Instance, [string]$DocumentedDefault) {
    # What MAML says about a parameter, in one set ($Set) or over all its sets.
    $sets = @($Parameter.ParameterSets.GetEnumerator() | Where-Object { -not $Set -or $_.Key -in $Set, '__AllParameterSets' } | ForEach-Object Value)
    $byValue = [bool]($sets | Where-Object ValueFromPipeline)
    $byName = [bool]($sets | Where-Object ValueFromPipelineByPropertyName)
    $position = $sets | Where-Object Position -GE 0 | Select-Object -First 1 -ExpandProperty Position
    $type = [Nullable]::GetUnderlyingType($Parameter.ParameterType) ?? $Parameter.ParameterType
    # A ValidateSet narrows an enum (Get-ApiToken -Status takes no Revoked): it is what the parameter accepts.
    $validSet = @($Parameter.Attributes | Where-Object { $_ -is [ValidateSet] } | ForEach-Object ValidValues)
    $accepted = if ($validSet.Count) { $validSet } else { @(if ($type.IsEnum) { [Enum]::GetNames($type) }) }
    $isSwitch = $type -eq [switch]
    $default = if ($isSwitch) { 'False' } elseif ($DocumentedDefault) { $DocumentedDefault } else { 'None' }
    $property = if ($Instance) { $Instance.GetType().GetProperty($Parameter.Name) }
    $mandatory = [bool]($sets | Where-Object IsMandatory)
    if ($property -and $property.PropertyType.IsValueType -and -not $mandatory -and -not [Nullable]::GetUnderlyingType($property.PropertyType)) {
        $value = $property.GetValue($Instance)
        $codeDefault = if ($isSwitch) { 'False' } else { [string]::Format([cultureinfo]::InvariantCulture, '{0}', $value) }
        if ($DocumentedDefault -and $DocumentedDefault -ne $codeDefault) {
            $Problems.Add("$($Command.Name) -$($Parameter.Name): default value: the help says '$DocumentedDefault', the cmdlet initialises it to '$codeDefault'.")
        }
        $default = $codeDefault
    }
    elseif ($isSwitch -and $DocumentedDefault -and $DocumentedDefault -ne 'False') {
        $Problems.Add("$($Command.Name) -$($Parameter.Name): default value: the help says '$DocumentedDefault'; a switch is False unless given.")
    }
    [pscustomobject]@{
        Name = $Parameter.Name; Type = Get-TypeName $Parameter.ParameterType; IsSwitch = $isSwitch; Required = $mandatory
        Position = if ($null -ne $position) { "$position" } else { 'named' }; Globbing = [bool]($Parameter.Attributes | Where-Object { $_ -is [SupportsWildcards] })
        Pipeline = if ($byValue -or $byName) { 'True (' + (@(if ($byName) { 'ByPropertyName' }; if ($byValue) { 'ByValue' }) -join ', ') + ')' } else { 'False' }
        Aliases = if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }; Accepted = $accepted; Default = $default
    }
}

function Read-CommandPage([object]$Markdown, $Command) {
    $name = $Command.Name
    $sections = @{}
    foreach ($title in $SectionNames) { $sections[$title] = @() }
    foreach ($section in Split-Heading $Markdown.Blocks 2) {
        if ($section.Title -notin $SectionNames) { $Problems.Add("$($Markdown.File):$($section.Line): unknown section '## $($section.Title)' (sections: $($SectionNames -join ', '))."); continue }
        $sections[$section.Title] = $section.Blocks.ToArray()
    }
    foreach ($required in 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'INPUTS', 'OUTPUTS') {
        if (-not $sections[$required].Count) { $Problems.Add("$($Markdown.File): the '## $required' section is missing or empty.") }
    }
    $instance = [Activator]::CreateInstance($Command.ImplementingType)
    $common = [Management.Automation.Cmdlet]::CommonParameters
    $actual = @($Command.Parameters.Values | Where-Object Name -NotIn $common)
    $documented = [ordered]@{}
    foreach ($section in Split-Heading @($sections['PARAMETERS']) 3) {
        $parameterName = $section.Title.TrimStart('-')
        $parameter = $actual | Where-Object Name -EQ $parameterName
        if (-not $parameter) { $Problems.Add("$name -${parameterName}: documented: the help documents a parameter the cmdlet does not have."); continue }
        $paragraphs = @(ConvertTo-Paragraph $section.Blocks)
        $default = $null
        if ($paragraphs.Count -gt 1 -and $paragraphs[-1] -match '^Default value:\s*(.+)$') { $default = $Matches[1]; $paragraphs = $paragraphs[0..($paragraphs.Count - 2)] }
        $info = Get-ParameterInfo $Command $parameter '' $instance $default
        $text = $paragraphs -join ' '
        if (-not $text) { $Problems.Add("$name -${parameterName}: documented: the section has no description.") }
        $says = $text -match 'Wildcard characters are permitted'
        if ($says -ne $info.Globbing) {
            $Problems.Add("$name -${parameterName}: wildcard support: " + $(if ($says) { "the help says 'Wildcard characters are permitted', but the parameter has no [SupportsWildcards]." }
                    else { "the parameter has [SupportsWildcards], but the help does not say 'Wildcard characters are permitted'." }))
        }
        $documented[$parameterName] = [pscustomobject]@{ Info = $info; Description = $paragraphs }
    }
    foreach ($parameter in $actual | Where-Object { -not $documented.Contains($_.Name) }) {
        $Problems.Add("$name -$($parameter.Name): documented: the parameter has no '### -$($parameter.Name)' section in PARAMETERS.")
    }

    $typed = @{}
    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        $typed[$kind] = @(Split-Heading @($sections[$kind]) 3 | ForEach-Object { [pscustomobject]@{ Type = $_.Title; Description = @(ConvertTo-Paragraph $_.Blocks) } })
    }
    $pipelineTypes = @($actual | Where-Object { $_.ParameterSets.Values | Where-Object { $_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName } } |
            ForEach-Object { Get-TypeName $_.ParameterType -Full } | Sort-Object -Unique)
    $listed = @($typed['INPUTS'] | ForEach-Object Type)
    foreach ($parameter in $actual | Where-Object { $_.ParameterSets.Values | Where-Object { $_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName } }) {
        $type = Get-TypeName $parameter.ParameterType -Full
        if ($type -notin $listed) { $Problems.Add("$name -$($parameter.Name): pipeline input: the parameter takes $type from the pipeline, but INPUTS does not list it.") }
    }
    foreach ($type in $listed | Where-Object { $_ -notin @($pipelineTypes) + 'None', 'System.Object' }) {
        $Problems.Add("${name}: pipeline input: INPUTS lists $type, but no parameter takes it from the pipeline.")
    }
    if (('None' -in $listed) -ne ($pipelineTypes.Count -eq 0) -or ('System.Object' -in $listed -and -not $pipelineTypes)) {
        $Problems.Add("${name}: pipeline input: INPUTS lists None exactly when no parameter takes pipeline input (and System.Object only when one does).")
    }
    $paging = $Command.ImplementingType.GetCustomAttributes([Management.Automation.CmdletAttribute], $true)[0].SupportsPaging
    $outputTypes = @(@($Command.OutputType | ForEach-Object Name) + @(if ($paging) { 'System.UInt64' }) | Where-Object { $_ } | Sort-Object -Unique)
    $outputs = @($typed['OUTPUTS'] | ForEach-Object Type | Where-Object { $_ -ne 'None' } | Sort-Object -Unique)
    if (($outputTypes -join ',') -ne ($outputs -join ',')) { $Problems.Add("${name}: output type: OUTPUTS lists '$($outputs -join ', ')', the cmdlet's [OutputType] is '$($outputTypes -join ', ')'.") }

    $syntax = [Collections.Generic.List[object]]::new()
    foreach ($set in @($Command.ParameterSets | Where-Object IsDefault) + @($Command.ParameterSets | Where-Object { -not $_.IsDefault })) {
        $members = @($set.Parameters | Where-Object { $documented.Contains($_.Name) } | ForEach-Object {
                Get-ParameterInfo $Command $Command.Parameters[$_.Name] $set.Name $instance $null
            })
        $ordered = @($members | Where-Object Position -NE 'named' | Sort-Object { [int]$_.Position }) + @($members | Where-Object { $_.Position -eq 'named' -and $_.Required }) +
        @($members | Where-Object { $_.Position -eq 'named' -and -not $_.Required -and $_.Name -notin 'WhatIf', 'Confirm' }) + @($members | Where-Object Name -In 'WhatIf', 'Confirm')
        $syntax.Add(@($ordered | ForEach-Object {
                    $_.Default = $documented[$_.Name].Info.Default
                    [pscustomobject]@{ Info = $_; Description = $documented[$_.Name].Description }
                }))
    }
    # Get-Help -Online opens the first related link that has an address, so an address there would send the reader
    # to a page that is not this cmdlet's help; the module has no online help: links name topics only.
    $links = foreach ($block in @($sections['RELATED LINKS'] | Where-Object { $_ -is [Markdig.Syntax.ParagraphBlock] })) {
        foreach ($link in @($block.Inline | Where-Object { $_ -is [Markdig.Syntax.Inlines.LinkInline] })) {
            if ($link.Url -match '^[a-z]+://') {
                $Problems.Add("${name}: related links: '$(Get-InlineText $link)' has an address ($($link.Url)), which Get-Help -Online would open as this cmdlet's help. Link to it from the text instead.")
            }
            [pscustomobject]@{ Text = Get-InlineText $link; Uri = '' }
        }
    }
    [pscustomobject]@{
        Name = $name; Synopsis = @(ConvertTo-Paragraph @($sections['SYNOPSIS'])); Description = @(ConvertTo-Paragraph @($sections['DESCRIPTION']))
        Syntax = $syntax; Parameters = @($documented.Values); Inputs = $typed['INPUTS']; Outputs = $typed['OUTPUTS']
        Notes = @(ConvertTo-Paragraph @($sections['NOTES'])); Examples = @(Read-Example (Split-Heading @($sections['EXAMPLES']) 3) $name); Links = @($links)
    }
}

#endregion

#region Writing

function Write-Maml([object[]]$Commands, [string]$Path) {
    $ns = @{ maml = 'http://schemas.microsoft.com/maml/2004/10'; command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
        dev = 'http://schemas.microsoft.com/maml/dev/2004/10' }
    $settings = [Xml.XmlWriterSettings]@{ Indent = $true; IndentChars = '  '; Encoding = [Text.UTF8Encoding]::new($false) }
    $w = [Xml.XmlWriter]::Create($Path, $settings)
    function Add-Text([string]$Prefix, [string]$Name, [string]$Value) { $w.WriteElementString($Prefix, $Name, $ns[$Prefix], $Value) }
    function Open-Node([string]$Prefix, [string]$Name) { $w.WriteStartElement($Prefix, $Name, $ns[$Prefix]) }
    function Add-Description([string[]]$Paragraphs, [string]$Prefix = 'maml', [string]$Name = 'description') {
        Open-Node $Prefix $Name; foreach ($p in $Paragraphs) { Add-Text maml para $p }; $w.WriteEndElement()
    }
    function Add-Parameter($Entry, [bool]$InSyntax) {
        $p = $Entry.Info
        Open-Node command parameter
        foreach ($a in @(('required', $p.Required.ToString().ToLower()), ('variableLength', 'true'), ('globbing', $p.Globbing.ToString().ToLower()),
                ('pipelineInput', $p.Pipeline), ('position', $p.Position), ('aliases', $p.Aliases))) { $w.WriteAttributeString($a[0], $a[1]) }
        Add-Text maml name $p.Name
        Add-Description $Entry.Description
        if ($InSyntax -and $p.Accepted) {
            Open-Node command parameterValueGroup
            foreach ($v in $p.Accepted) {
                Open-Node command parameterValue; $w.WriteAttributeString('required', 'false'); $w.WriteAttributeString('variableLength', 'false')
                $w.WriteString($v); $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }
        if (-not ($InSyntax -and $p.IsSwitch)) {
            Open-Node command parameterValue; $w.WriteAttributeString('required', (-not $p.IsSwitch).ToString().ToLower())
            $w.WriteAttributeString('variableLength', $p.Type.EndsWith('[]').ToString().ToLower()); $w.WriteString($p.Type); $w.WriteEndElement()
        }
        Open-Node dev type; Add-Text maml name $p.Type; Add-Text maml uri ''; $w.WriteEndElement()
        Add-Text dev defaultValue $p.Default
        $w.WriteEndElement()
    }
    try {
        $w.WriteStartElement('helpItems', 'http://msh'); $w.WriteAttributeString('schema', 'maml')
        foreach ($c in $Commands) {
            Open-Node command command
            foreach ($prefix in 'maml', 'command', 'dev') { $w.WriteAttributeString('xmlns', $prefix, $null, $ns[$prefix]) }
            Open-Node command details; Add-Text command name $c.Name
            Add-Text command verb $c.Name.Split('-')[0]; Add-Text command noun $c.Name.Split('-', 2)[1]; Add-Description $c.Synopsis; $w.WriteEndElement()
            Add-Description $c.Description
            Open-Node command syntax
            foreach ($item in $c.Syntax) { Open-Node command syntaxItem; Add-Text maml name $c.Name; foreach ($entry in $item) { Add-Parameter $entry $true }; $w.WriteEndElement() }
            $w.WriteEndElement()
            Open-Node command parameters; foreach ($entry in $c.Parameters) { Add-Parameter $entry $false }; $w.WriteEndElement()
            foreach ($kind in ('inputTypes', 'inputType', 'Inputs'), ('returnValues', 'returnValue', 'Outputs')) {
                Open-Node command $kind[0]
                foreach ($t in $c.($kind[2])) {
                    Open-Node command $kind[1]; Open-Node dev type; Add-Text maml name $t.Type; $w.WriteEndElement()
                    Add-Description $t.Description; $w.WriteEndElement()
                }
                $w.WriteEndElement()
            }
            Open-Node maml alertSet; Add-Description $c.Notes maml alert; $w.WriteEndElement()
            Open-Node command examples
            foreach ($e in $c.Examples) {
                $pad = '-' * [Math]::Max(0, [Math]::Floor((62 - $e.Title.Length) / 2))
                Open-Node command example; Add-Text maml title "$pad $($e.Title) $pad".Trim()
                Add-Text dev code ((@($e.Code) + $e.Output) -join "`n`n"); Add-Description $e.Remarks dev remarks; $w.WriteEndElement()
            }
            $w.WriteEndElement()
            Open-Node command relatedLinks
            foreach ($l in $c.Links) { Open-Node maml navigationLink; Add-Text maml linkText $l.Text; Add-Text maml uri $l.Uri; $w.WriteEndElement() }
            $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    finally { $w.Close() }
}

function ConvertTo-AboutText([object]$Markdown, [string]$Topic) {
    $first = @($Markdown.Blocks)[0]
    if ($first -isnot [Markdig.Syntax.HeadingBlock] -or (Get-InlineText $first.Inline) -ne $Topic) { $Problems.Add("$($Markdown.File): the first heading must be '# $Topic'.") }
    'TOPIC'; "    $Topic"; ''
    foreach ($block in @($Markdown.Blocks) | Select-Object -Skip 1) {
        switch ($block.GetType().Name) {
            'HeadingBlock' {
                $title = Get-InlineText $block.Inline
                if ($title -eq $Topic) { continue }
                if ($block.Level -eq 1) { $title.ToUpperInvariant() } elseif ($block.Level -eq 2) { "    $title"; '    ' + ('-' * $title.Length) } else { "    $title" }
            }
            'ParagraphBlock' { Split-Line (Get-InlineText $block.Inline) 4 4; '' }
            'ListBlock' { foreach ($p in ConvertTo-Paragraph (, $block)) { Split-Line $p 4 (5 + $p.IndexOf(' ')) }; '' }
            'Table' { Format-MarkdownTable $block 4; '' }
            'FencedCodeBlock' { $block.Lines.ToString() -split "`n" | ForEach-Object { "        $_".TrimEnd() }; '' }
            'HtmlBlock' { }
            default { $Problems.Add("$($Markdown.File):$($block.Line + 1): unsupported markdown block $_.") }
        }
    }
}

#endregion

$pages = @(Get-ChildItem -LiteralPath $SourcePath -Filter *.md -File | Sort-Object Name | ForEach-Object { Read-Markdown $_.FullName })
$abouts = @($pages | Where-Object File -Like 'about_*')
$commandPages = @($pages | Where-Object File -NotLike 'about_*')

if ($ListExamples) {
    foreach ($page in $commandPages) { Read-Example (Split-Heading (Split-Heading $page.Blocks 2 | Where-Object Title -EQ 'EXAMPLES').Blocks 3) ($page.File -replace '\.md$') }
    foreach ($page in $abouts) { Read-Example (Split-Heading (Split-Heading $page.Blocks 1 | Where-Object Title -EQ 'EXAMPLES').Blocks 2) ($page.File -replace '\.md$') }
    if ($Problems.Count) { throw ($Problems -join "`n") }
    return
}

$module = Import-Module (Resolve-Path -LiteralPath $ModulePath).Path -PassThru -Force
$commands = foreach ($page in $commandPages) {
    $title = Get-InlineText @($page.Blocks)[0].Inline
    $command = Get-Command -Module $module.Name -CommandType Cmdlet -Name $title -ErrorAction SilentlyContinue
    if (-not $command) { $Problems.Add("$($page.File): '# $title' is not a cmdlet of the module."); continue }
    Read-CommandPage $page $command
}
foreach ($cmdlet in Get-Command -Module $module.Name -CommandType Cmdlet | Where-Object Name -NotIn $commands.Name) {
    $Problems.Add("$($cmdlet.Name): documented: the cmdlet has no page in $SourcePath.")
}
$texts = @{}
foreach ($page in $abouts) { $topic = $page.File -replace '\.md$'; $texts[$topic] = @(ConvertTo-AboutText $page $topic) }
if ($Problems.Count) {
    # Plain lines on stderr, one per problem, and exit code 1: the build shows them as they are.
    [Console]::Error.WriteLine("The help disagrees with the module or is malformed; no help was written:`n  " + ($Problems -join "`n  "))
    exit 1
}

$null = New-Item -ItemType Directory -Path $OutputPath -Force
Write-Maml $commands (Join-Path $OutputPath (Split-Path -Leaf (Get-Command $commands[0].Name).HelpFile))
foreach ($topic in $texts.Keys) {
    $lines = $texts[$topic]; while ($lines[-1] -eq '') { $lines = $lines[0..($lines.Count - 2)] }
    [IO.File]::WriteAllText((Join-Path $OutputPath "$topic.help.txt"), ($lines -join "`n") + "`n")
}
