/*
 * lccu bundled rules: the EICAR anti-malware test string.
 * Lets an analyst check end to end that scanning works, on any image.
 */

rule lccu_eicar_test_string : test
{
    meta:
        description = "EICAR anti-malware test string (harmless; proves the scanner sees content)"
        author = "lccu"
        reference = "https://www.eicar.org/download-anti-malware-testfile/"
        severity = "info"
    strings:
        // 68 bytes; the backslash is escaped for YARA
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*" ascii
    condition:
        $eicar
}
