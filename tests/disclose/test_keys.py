import json
import os

import pytest

from flockwatch.disclose import Pseudonymiser, generate_key, load_key, rotate_key
from flockwatch.errors import InputFileError, ValidationError


def test_keygen_load_and_key_id(tmp_path):
    path = tmp_path / "k.json"
    key = generate_key(path)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    again = load_key(path)
    assert again.secret == key.secret and again.key_id == key.key_id and key.key_id.startswith("fwk-")
    assert key.secret.hex() not in repr(key) and key.secret.hex() not in key.key_id


def test_rotation_keeps_the_old_key_and_changes_every_pseudonym(tmp_path):
    path = tmp_path / "k.json"
    old = generate_key(path)
    new, retired = rotate_key(path)
    assert retired.exists() and load_key(retired).key_id == old.key_id
    assert load_key(path).key_id == new.key_id != old.key_id
    a, b = Pseudonymiser(old, "twitter"), Pseudonymiser(new, "twitter")
    assert a.account("12345") == Pseudonymiser(load_key(retired), "twitter").account("12345")
    assert a.account("12345") != b.account("12345")
    assert len(a.account("1")) == 32 and not a.account("1").isdigit()


def test_keygen_refuses_to_overwrite(tmp_path):
    path = tmp_path / "k.json"
    generate_key(path)
    with pytest.raises(ValidationError, match="rotate"):
        generate_key(path)


def test_bad_key_files_name_the_problem(tmp_path):
    with pytest.raises(InputFileError, match="keygen"):
        load_key(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputFileError, match="not a readable key file"):
        load_key(bad)
    path = tmp_path / "k.json"
    generate_key(path)
    doc = json.loads(path.read_text())
    doc["key_id"] = "fwk-0000000000000000"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputFileError, match="does not match"):
        load_key(path)
    doc["kind"] = "other"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputFileError, match="not a flockwatch release key"):
        load_key(path)
