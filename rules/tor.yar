/*
 * lccu bundled rules: Tor onion services.
 */

rule lccu_tor_onion_v3 : tor darkweb
{
    meta:
        description = "Tor v3 onion service address (56 base32 characters and '.onion')"
        author = "lccu"
        reference = "https://spec.torproject.org/rend-spec/encoding-onion-addresses.html"
        severity = "medium"
    strings:
        $onion = /[a-z2-7]{56}\.onion/ fullword ascii wide
    condition:
        $onion
}
