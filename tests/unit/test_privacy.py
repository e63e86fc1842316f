import hashlib
import hmac

import duckdb

from stv_pipeline.ingest.privacy import CPR_MASK, hmac_pads, hmac_sql, mask_cpr


def test_sql_hmac_equals_python_hmac_sha256():
    for key in ("short", "k" * 100):  # a key longer than the block is hashed first (RFC 2104)
        got = (
            duckdb.connect()
            .execute(f"select {hmac_sql('$v')}", {"v": "0101801234", **hmac_pads(key)})
            .fetchone()[0]
        )
        assert got == hmac.new(key.encode(), b"0101801234", hashlib.sha256).hexdigest()


def test_mask_cpr_masks_with_and_without_dash_but_not_longer_numbers():
    assert mask_cpr("row 3: 010180-1234 and 0101801234") == f"row 3: {CPR_MASK} and {CPR_MASK}"
    assert mask_cpr("id 123456789012") == "id 123456789012"
    assert mask_cpr("P000123") == "P000123"
