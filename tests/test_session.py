"""The console's model without Textual: editing a profile as typed, saving, the paired rows, and the
lab collection (new/copy/rename/delete)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vpnconsole import labs
from vpnconsole.diagnose import compare
from vpnconsole.profile import ProfileError, load_profile
from vpnconsole.session import ALL_FIELDS, SHARED_FIELDS, EditError, LabSession, last_status, record_status

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def session(tmp_path, monkeypatch) -> LabSession:
    monkeypatch.setenv("VPNCONSOLE_HOME", str(tmp_path / "home"))
    folder = tmp_path / "home" / "profiles"
    folder.mkdir(parents=True)
    path = folder / "classic.yaml"
    shutil.copy(ROOT / "profiles" / "classic.yaml", path)
    return LabSession(load_profile(path), path)


def test_an_alias_is_stored_in_its_canonical_spelling_and_marks_the_profile_unsaved(session):
    assert not session.dirty
    problems = session.set("ike.dh_group", "DH5 modp1536")
    assert session.value("ike.dh_group") == "group5"
    assert session.dirty
    assert all(p.severity == "warning" for p in problems)  # group5 is allowed, but weak


def test_check_validates_as_typed_without_changing_anything(session):
    problems = session.check("ike.lifetime", "50")
    assert problems and problems[0].path == "ike.lifetime" and "60" in problems[0].message
    assert session.value("ike.lifetime") == 86400 and not session.dirty
    assert session.check("ike.lifetime", "abc")[0].message == "'abc' is not a whole number"
    assert "on/off" in session.check("ike.dpd", "maybe")[0].message


def test_an_invalid_value_is_kept_to_be_fixed_and_blocks_saving(session):
    problems = session.set("ipsec.pfs", "group99")
    assert any(p.severity == "error" and "group99" in p.message for p in problems)
    assert session.value("ipsec.pfs") == "group99" and not session.valid
    with pytest.raises(ProfileError):
        session.save()
    session.set("ipsec.pfs", "group14")
    assert session.valid
    path = session.save()
    assert "pfs: group14" in path.read_text()
    assert path.with_name(path.name + ".bak").exists() and not session.dirty


def test_a_value_of_the_wrong_type_is_refused_with_the_key(session):
    with pytest.raises(EditError, match="ike.lifetime"):
        session.set("ike.lifetime", "1 day")
    with pytest.raises(EditError, match="not an editable key"):
        session.set("name", "other")


def test_revert_goes_back_to_the_saved_profile(session):
    session.set("cloud.subnets", "172.16.0.0/16, 172.17.0.0/16")
    assert session.value("cloud.subnets") == ["172.16.0.0/16", "172.17.0.0/16"]
    session.revert()
    assert not session.dirty


def test_rows_spell_each_parameter_as_each_end_does(session):
    rows = {r.path: r for r in session.param_rows()}
    paths = [r.path for r in session.param_rows()]
    assert [p for p in paths if p != "psk"] == [f.path for f in SHARED_FIELDS]
    assert paths.index("psk") == paths.index("ike.nat_traversal") + 1  # last of phase 1
    assert rows["ike.dh_group"].h3c_spelling == "dh group2"
    assert rows["ike.dh_group"].alibaba_spelling == "IkePfs=group2"
    assert rows["ike.integrity"].h3c_spelling == "authentication-algorithm sha"
    assert rows["ike.integrity"].alibaba_spelling == "IkeAuthAlg=sha1"
    assert rows["ipsec.pfs"].h3c_spelling == "pfs dh-group2"
    assert rows["ike.dh_group"].h3c_live is None  # nothing read yet


class _Report:
    """What the rows read from an engine StatusReport: each end's params and the comparison."""

    def __init__(self, profile_params, h3c_params, ali_params):
        class End:
            def __init__(self, params):
                self.params = params
        self.h3c, self.alibaba = End(h3c_params), End(ali_params)
        self.comparison = compare(profile_params, h3c_params, ali_params)


def test_live_values_and_mismatch_markers_come_from_the_engine_diff(session):
    import dataclasses

    want = session.profile.params()
    tunnel = want.tunnels[0]
    drifted = dataclasses.replace(want, tunnels=(dataclasses.replace(
        tunnel, ike=dataclasses.replace(tunnel.ike, dh_group="group5")),),
        cloud_subnets=("172.31.0.0/24",))
    rows = {r.path: r for r in session.param_rows(_Report(want, drifted, want))}
    assert rows["ike.dh_group"].h3c_live == "group5" and rows["ike.dh_group"].h3c_mismatch
    assert rows["ike.dh_group"].alibaba_live == "group2" and not rows["ike.dh_group"].alibaba_mismatch
    assert not rows["ike.encryption"].h3c_mismatch
    subnets = {(s.side, s.subnet): s for s in session.subnet_rows(_Report(want, drifted, want))}
    cloud = subnets[("cloud", "172.16.0.0/24")]
    assert cloud.h3c_role == "ACL destination" and cloud.alibaba_role == "LocalSubnet"
    assert cloud.h3c_live is False and cloud.alibaba_live is True


def test_the_psk_row_shows_fingerprints_and_their_mismatch(session):
    import dataclasses

    want = session.profile.params("sha256:aaaaaaaaaaaa")
    t = want.tunnels[0]
    router = dataclasses.replace(want, tunnels=(dataclasses.replace(t, psk_fingerprint=None),))  # cipher only
    cloud = dataclasses.replace(want, tunnels=(dataclasses.replace(t, psk_fingerprint="sha256:bbbbbbbbbbbb"),))
    row = {r.path: r for r in session.param_rows(_Report(want, router, cloud), "sha256:aaaaaaaaaaaa")}["psk"]
    assert row.value == "sha256:aaaaaaaaaaaa" and row.alibaba_spelling == "Psk=******"
    assert row.h3c_live.startswith("set") and not row.h3c_mismatch
    assert row.alibaba_live == "sha256:bbbbbbbbbbbb" and row.alibaba_mismatch
    assert {r.path: r for r in session.param_rows()}["psk"].problems  # none stored: say so


def test_every_editable_key_exists_in_a_profile(session):
    data = session.profile.to_dict()
    for path in ALL_FIELDS:
        node = data
        for key in path.split(".")[:-1]:
            node = node[key]
        assert path.split(".")[-1] in node, path


def test_last_status_is_remembered_per_lab(session):
    class Verdict:
        code, up, summary = "up", True, "up and passing"

    class Report:
        verdict = Verdict()

    assert last_status("classic") is None
    record_status("classic", Report())
    assert last_status("classic")["code"] == "up"


def test_labs_new_copy_rename_delete(session, tmp_path):
    path = labs.new_lab("fresh", "comware7")
    assert load_profile(path).name == "fresh"
    with pytest.raises(labs.LabFileError, match="already exists"):
        labs.new_lab("fresh")
    with pytest.raises(labs.LabFileError, match="name: 'Bad_Name'"):
        labs.new_lab("Bad_Name")
    copy = labs.copy_lab("classic", "classic-two")
    assert load_profile(copy).ike == session.profile.ike
    renamed = labs.rename_lab("classic-two", "classic-three")
    assert renamed.name == "classic-three.yaml" and not copy.exists()
    assert load_profile(renamed).name == "classic-three"
    names = {e.name for e in labs.list_labs()}
    assert {"fresh", "classic", "classic-three"} <= names
    labs.delete_lab("classic-three")
    assert not renamed.exists() and renamed.with_name(renamed.name + ".bak").exists()


def test_a_lab_with_something_applied_is_not_renamed_or_deleted(session):
    from vpnconsole.paths import lab_state_dir

    (lab_state_dir("classic") / "h3c-manifest.json").write_text("{}")
    with pytest.raises(labs.LabFileError, match="tear it down"):
        labs.rename_lab("classic", "other")
    with pytest.raises(labs.LabFileError, match="tear it down"):
        labs.delete_lab("classic")
    assert [e.applied for e in labs.list_labs() if e.name == "classic" and not e.shadowed] == [True]
