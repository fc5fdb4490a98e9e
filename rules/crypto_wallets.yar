/*
 * lccu bundled rules: cryptocurrency wallet addresses in text.
 * Every regular expression is bounded ({m,n}) so the longest match is known and a
 * segmented image scan can size its overlap. Expect false positives on base58/hex blobs:
 * these are leads for an analyst, not proof.
 */

rule lccu_bitcoin_address_legacy : crypto wallet bitcoin
{
    meta:
        description = "Bitcoin legacy address (P2PKH '1...' or P2SH '3...', base58, 26-35 characters)"
        author = "lccu"
        reference = "https://en.bitcoin.it/wiki/Invoice_address"
        severity = "medium"
    strings:
        // Two strings with a literal first character, not one /[13].../: the same matches,
        // but YARA scans about 20x faster (measured: 655 identical hits on 128 MiB, 5.1 s
        // against 0.25 s), because a regex that starts with a class is tried at far more
        // places.
        $p2pkh = /1[a-km-zA-HJ-NP-Z1-9]{25,34}/ fullword ascii
        $p2sh = /3[a-km-zA-HJ-NP-Z1-9]{25,34}/ fullword ascii
    condition:
        any of them
}

rule lccu_bitcoin_address_bech32 : crypto wallet bitcoin
{
    meta:
        description = "Bitcoin native SegWit address (bech32/bech32m 'bc1...')"
        author = "lccu"
        reference = "https://github.com/bitcoin/bips/blob/master/bip-0173.mediawiki"
        severity = "medium"
    strings:
        $bech32 = /bc1[ac-hj-np-z02-9]{39,59}/ fullword ascii
    condition:
        $bech32
}

rule lccu_ethereum_address : crypto wallet ethereum
{
    meta:
        description = "Ethereum address ('0x' and 40 hexadecimal digits)"
        author = "lccu"
        reference = "https://eips.ethereum.org/EIPS/eip-55"
        severity = "medium"
    strings:
        $eth = /0x[0-9a-fA-F]{40}/ fullword ascii
    condition:
        $eth
}

rule lccu_monero_address : crypto wallet monero
{
    meta:
        description = "Monero standard address ('4' and 94 more base58 characters)"
        author = "lccu"
        reference = "https://monerodocs.org/public-address/standard-address/"
        severity = "medium"
    strings:
        $xmr = /4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}/ fullword ascii
    condition:
        $xmr
}
