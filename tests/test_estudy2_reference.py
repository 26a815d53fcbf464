"""The estudy2 reference files in tests/data/estudy2 are the oracle's, byte for byte (SHA-256 of the
originals in PROVENANCE.md; three outputs are stored gzip-compressed and checked decompressed)."""

import gzip
import hashlib
import re

from conftest import ESTUDY2


def test_every_reference_file_matches_its_recorded_hash():
    text = (ESTUDY2 / "PROVENANCE.md").read_text()
    recorded = dict((path, digest) for digest, path in re.findall(r"^([0-9a-f]{64})  \./(\S+)$", text, re.M))
    assert len(recorded) == 18
    for path, digest in recorded.items():
        plain = ESTUDY2 / path
        data = plain.read_bytes() if plain.exists() else gzip.decompress((ESTUDY2 / f"{path}.gz").read_bytes())
        assert hashlib.sha256(data).hexdigest() == digest, path
