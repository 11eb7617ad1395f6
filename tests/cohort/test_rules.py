"""The rules file: loads, validates with clear errors, hashes."""
import hashlib

import re

import pytest

from pipeline.cohort.rules import KINDS, load_rules
from pipeline.errors import UsageError

SPEC_CRITERIA = {"contact_spike", "drug_rise", "alp_high", "calcium_high", "hb_low", "esr_high",
                 "platelets_high", "weight_loss", "malaise_fatigue", "appetite_loss", "fever", "pain"}


def test_default_rules_cover_every_spec_criterion_with_metadata():
    r = load_rules()
    assert set(r.criteria) == SPEC_CRITERIA
    assert all(c["kind"] in KINDS for c in r.criteria.values())
    for c in r.criteria.values():
        assert c["source"] and c["rationale"] and c["description_sv"] and c["reviewed"]
    assert r.data["cohort"]["min_criteria"] == 2
    assert r.data["cohort"]["min_age"] == 18
    assert r.data["route"]["ferritin_below"] == 30
    assert r.codes("appetite_loss") == ["R630"]
    assert r.sha256 == hashlib.sha256(r.path.read_bytes()).hexdigest()


def _variant(tmp_path, old, new):
    text = load_rules().path.read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "r.toml"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


@pytest.mark.parametrize("old,new,message", [
    ("min_criteria = 2", "min_criteria = \"two\"", "min_criteria"),
    ("above = 1.9", "above = -1.9", "alp_high] above"),
    ("[criteria.pain]", "[criteria.Pain]", "[criteria.Pain]: the id must be lower-case"),
    ('kind = "lab_above"', 'kind = "lab_abov"', "[criteria.alp_high] kind: must be one of"),
    ('analyte = "alp"', 'analyte = "alq"', "[criteria.alp_high] analyte: unknown analyte"),
    ('unit = "µkat/L"', 'unit = "mmol/L"', "[criteria.alp_high] unit: must be 'µkat/L'"),
    ("above = 1.9", 'above = "high"', "[criteria.alp_high] above: must be a finite number"),
    ('label = "ALP"\n', "", "[criteria.alp_high]: missing parameter 'label' (kind lab_above)"),
    ('name_sv = "feber"\n', "", "[criteria.fever]: missing key 'name_sv'"),
    ('label = "ALP"\n', 'label = "ALP"\nbelow = 1\n', "[criteria.alp_high]: unknown key(s) below"),
    ("[criteria.hb_low]", "[criteria.hb_low2]", "kind 'hb_low' is for exactly one criterion"),
    ("codes = [\"R53\"]", "codes = [\"53\"]", "not an ICD-10 code"),
    ("recent_months = 3", "recent_months = 0", "recent_months"),
    ("version = \"aos-rules-v1\"", "version = ", "not valid TOML"),
])
def test_invalid_rules_are_refused_with_a_clear_message(tmp_path, old, new, message):
    path = _variant(tmp_path, old, new)
    with pytest.raises(UsageError, match=re.escape(message)) as err:
        load_rules(path)
    assert str(path) in str(err.value)


def test_codes_are_normalised(tmp_path):
    r = load_rules(_variant(tmp_path, 'codes = ["R634", "R64"]', 'codes = ["r63.4", "R64"]'))
    assert r.codes("weight_loss") == ["R634", "R64"]


def test_ferritin_unit_must_be_the_canonical_unit(tmp_path):
    from pipeline.cohort.rules import DEFAULT_RULES, load_rules
    from pipeline.errors import UsageError
    f = tmp_path / "r.toml"
    f.write_text(DEFAULT_RULES.read_text(encoding="utf-8").replace('ferritin_unit = "µg/L"',
                                                                   'ferritin_unit = "ng/L"'),
                 encoding="utf-8")
    with pytest.raises(UsageError, match=r"\[route\] ferritin_unit"):
        load_rules(f)


@pytest.mark.parametrize("old, new, where", [
    ("band_low = 0.15", "band_low = 0.25", r"\[yield\] band_low"),
    ("headline_window_months = 6", "headline_window_months = 9", r"\[yield\] headline_window_months"),
])
def test_yield_section_is_validated(tmp_path, old, new, where):
    from pipeline.cohort.rules import DEFAULT_RULES, load_rules
    from pipeline.errors import UsageError
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert old in text
    f = tmp_path / "r.toml"
    f.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(UsageError, match=where):
        load_rules(f)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_criterion_display_names_come_from_the_rules_file(lang):
    """name_<lang> of each criterion gives the message key criterion_<id>; the catalogue's
    copies (kept for the report until it reads Rules.messages) say the same."""
    import tomllib

    from pipeline.paths import DATA_DIR
    names = load_rules().messages(lang)
    assert set(names) == {f"criterion_{c}" for c in SPEC_CRITERIA}
    catalogue = tomllib.loads((DATA_DIR / "messages" / f"{lang}.toml").read_text(encoding="utf-8"))
    assert {k: v for k, v in catalogue.items() if k.startswith("criterion_")} == names
