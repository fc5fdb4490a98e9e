/*
 * lccu bundled rules: private keys and cloud credentials left in text.
 */

rule lccu_pem_private_key : credential key
{
    meta:
        description = "PEM armoured private key header (RSA, EC, DSA, PKCS#8, OpenSSH, PGP)"
        author = "lccu"
        reference = "https://www.rfc-editor.org/rfc/rfc7468"
        severity = "high"
    strings:
        $pkcs8 = "-----BEGIN PRIVATE KEY-----" ascii
        $enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----" ascii
        $rsa = "-----BEGIN RSA PRIVATE KEY-----" ascii
        $ec = "-----BEGIN EC PRIVATE KEY-----" ascii
        $dsa = "-----BEGIN DSA PRIVATE KEY-----" ascii
        $openssh = "-----BEGIN OPENSSH PRIVATE KEY-----" ascii
        $pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----" ascii
    condition:
        any of them
}

rule lccu_aws_access_key_id : credential cloud aws
{
    meta:
        description = "AWS access key id (long-term 'AKIA' or temporary 'ASIA', 20 characters)"
        author = "lccu"
        reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html"
        severity = "high"
    strings:
        $akia = /(AKIA|ASIA)[A-Z2-7]{16}/ fullword ascii wide
    condition:
        $akia
}
