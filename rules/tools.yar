/*
 * lccu bundled rules: credential-dumping and remote-access tools, by name and artefact.
 * Remote-access tools are legitimate software: a hit says "look here", not "malware".
 */

rule lccu_mimikatz : tool credential_dumping
{
    meta:
        description = "Mimikatz credential dumper: module commands or author strings"
        author = "lccu"
        reference = "https://attack.mitre.org/software/S0002/"
        severity = "high"
    strings:
        $cmd1 = "sekurlsa::logonpasswords" nocase ascii wide
        $cmd2 = "lsadump::sam" nocase ascii wide
        $cmd3 = "lsadump::dcsync" nocase ascii wide
        $cmd4 = "privilege::debug" nocase ascii wide
        $name = "mimikatz" nocase ascii wide
        $author = "gentilkiwi" nocase ascii wide
    condition:
        any of them
}

rule lccu_procdump_lsass : tool credential_dumping
{
    meta:
        description = "ProcDump (or similar) pointed at LSASS on one command line"
        author = "lccu"
        reference = "https://attack.mitre.org/techniques/T1003/001/"
        severity = "high"
    strings:
        // bounded gap so the longest match is known (at most 8 + 6 + 60 + 5 bytes)
        $cmd = /procdump(64)?(\.exe)?[^\r\n]{1,60}lsass/ nocase ascii
        $comsvcs = /comsvcs(\.dll)?[,\s]{1,4}#?MiniDump/ nocase ascii
    condition:
        any of them
}

rule lccu_anydesk_artefacts : tool remote_access
{
    meta:
        description = "AnyDesk remote-access software: executable name, trace and connection logs"
        author = "lccu"
        reference = "https://attack.mitre.org/software/S1052/"
        severity = "low"
    strings:
        $exe = "AnyDesk.exe" nocase ascii wide
        $trace = "ad_svc.trace" nocase ascii wide
        $conn = "connection_trace.txt" nocase ascii wide
    condition:
        any of them
}

rule lccu_teamviewer_artefacts : tool remote_access
{
    meta:
        description = "TeamViewer remote-access software: service name and connection logs"
        author = "lccu"
        reference = "https://attack.mitre.org/software/S0604/"
        severity = "low"
    strings:
        $svc = "TeamViewer_Service.exe" nocase ascii wide
        $in = "Connections_incoming.txt" nocase ascii wide
        $log = /TeamViewer[0-9]{1,2}_Logfile\.log/ nocase ascii wide
    condition:
        any of them
}

rule lccu_other_remote_access : tool remote_access
{
    meta:
        description = "Other remote-access and tunnelling tools often abused (ngrok, RustDesk, ScreenConnect)"
        author = "lccu"
        reference = "https://attack.mitre.org/techniques/T1219/"
        severity = "low"
    strings:
        $ngrok = "ngrok.yml" nocase ascii wide
        $rustdesk = "RustDesk.toml" nocase ascii wide
        $screenconnect = "ScreenConnect.ClientService" nocase ascii wide
    condition:
        any of them
}
