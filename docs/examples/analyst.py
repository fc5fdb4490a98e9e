"""List what a processed evidence item holds and check one file's bytes, as an analyst's
script would: python3 docs/examples/analyst.py EVIDENCE (acting as LCCU_USER)."""

import hashlib
import sys

from lccu.evidence import open_lab

evidence = sys.argv[1]
with open_lab() as lab:
    # every file the newest finished run found, in path order (filters are keywords)
    for f in lab.files(evidence, source="file"):
        state = "deleted" if f.deleted else "allocated"
        print(f"{f.volume} {f.path} {f.size} {state} {f.mime} {f.sha256}")
    # only the text files; each record says where its bytes are (volume, inode)
    texts = list(lab.files(evidence, mime="text/", deleted=False))
    # read one from the stored evidence, a chunk at a time, and check its hash
    with lab.open_file(evidence, texts[0]) as stream:
        digest = hashlib.sha256()
        while block := stream.read(1024 * 1024):
            digest.update(block)
    assert digest.hexdigest() == texts[0].sha256
    print(f"{texts[0].path}: SHA-256 {digest.hexdigest()} as the run found it")
