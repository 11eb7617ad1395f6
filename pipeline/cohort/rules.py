"""Load, validate and hash the versioned rules file (pipeline/data/rules/*.toml)."""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .. import sqlfiles
from ..errors import UsageError
from ..ingest.reference import units_rows
from ..paths import DATA_DIR

DEFAULT_RULES = DATA_DIR / "rules" / "aos-rules-v1.toml"

META_KEYS = ("name_sv", "name_en", "description_en", "description_sv", "rationale", "source", "inputs",
             "authored_by", "authored", "reviewed_by", "reviewed")
# Criterion kinds: kind -> (its SQL template under sql/cohort/, its typed parameters, whether it
# takes `codes`). A criterion of an existing kind is added by the rules file alone.
INT, FLOAT, TEXT = "integer", "number", "text"
KINDS: dict[str, tuple[str, dict[str, str], bool]] = {
    "contact_spike": ("criteria/contact_spike.sql",
                      {"min_days": INT, "rise_factor": FLOAT, "baseline_floor": FLOAT, "unit": TEXT},
                      False),
    "drug_rise": ("criteria/drug_rise.sql",
                  {"min_new_substances": INT, "min_prescriptions": INT, "rise_factor": FLOAT,
                   "baseline_floor": FLOAT}, False),
    "lab_above": ("criteria/lab_above.sql",
                  {"analyte": TEXT, "label": TEXT, "above": FLOAT, "unit": TEXT}, False),
    "calcium_high": ("criteria/calcium_high.sql",
                     {"above": FLOAT, "ionized_above": FLOAT, "albumin_reference": FLOAT,
                      "albumin_factor": FLOAT, "albumin_max_days": INT, "unit": TEXT}, False),
    "hb_low": ("criteria/hb_low.sql",
               {"below_female": FLOAT, "below_male": FLOAT, "drop_at_least": FLOAT, "unit": TEXT}, False),
    "esr_high": ("criteria/esr_high.sql",
                 {"age_offset_male": FLOAT, "age_offset_female": FLOAT, "age_divisor": FLOAT,
                  "unit": TEXT},
                 False),
    "weight_loss": ("criteria/weight_loss.sql",
                    {"loss_pct_at_least": FLOAT, "lookback_days": INT, "unit": TEXT}, True),
    "new_code": ("criteria/new_code.sql", {}, True),
}
# Kinds whose SQL names its criterion id: exactly one criterion each, of the same id.
SINGLE_KINDS = ("contact_spike", "drug_rise", "calcium_high", "hb_low", "esr_high", "weight_loss")
CRITERION_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
SECTIONS: dict[str, tuple[str, ...]] = {
    "windows": ("recent_months", "baseline_months"),
    "cohort": ("min_age", "min_criteria", "known_cancer_lookback_months",
               "episode_lookback_months"),
    "cancer": (),
    "route": ("ferritin_below",),
}
OPTIONAL_TABLES = {"prescriptions", "diagnoses", "observations", "referrals",
                   "cancer_diagnoses", "contacts", "lab_results"}


@dataclass(frozen=True)
class Rules:
    path: Path
    sha256: str
    version: str
    data: dict

    @property
    def criteria(self) -> dict[str, dict]:
        return self.data["criteria"]

    def codes(self, criterion: str) -> list[str]:
        return list(self.criteria[criterion].get("codes", []))

    def messages(self, lang: str) -> dict[str, str]:
        """Display names as message keys `criterion_<id>` (lang sv or en), from name_<lang>."""
        return {f"criterion_{cid}": c[f"name_{lang}"] for cid, c in self.criteria.items()}

    def sql_params(self) -> dict[str, object]:
        """Flat `section.key` -> value map for the SQL templates."""
        out: dict[str, object] = {}
        for section in SECTIONS:
            for k, v in self.data[section].items():
                out[f"{section}.{k}"] = v
        for cid, c in self.criteria.items():
            for k, v in c.items():
                out[f"{cid}.{k}"] = v
        return out

    def parameters(self) -> dict:
        """The decision parameters, for the manifest (metadata texts left out)."""
        skip = {"rationale", "source", "description_en", "description_sv", "name_sv", "name_en",
                "authored_by", "authored", "reviewed_by", "reviewed", "title"}
        def clean(d):
            return {k: (clean(v) if isinstance(v, dict) else v) for k, v in d.items()
                    if k not in skip}
        return clean({k: self.data[k] for k in ("windows", "cohort", "cancer", "route", "criteria")})


def _fail(path: Path, where: str, reason: str):
    raise UsageError(f"rules file {path}: {where}: {reason}")


# Largest accepted value: months and years stay within a readable calendar, days within a century.
MAXIMUM = {"windows": 1200, "cohort": 1200, "lookback_days": 36500, "albumin_max_days": 36500}


def _number(path, where, value, *, integer=False, minimum=0.0, maximum=math.inf):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if integer:
        ok = ok and isinstance(value, int)
    if not ok or not math.isfinite(value) or not minimum <= value <= maximum:
        kind = "an integer" if integer else "a finite number"
        upper = f" and <= {maximum}" if math.isfinite(maximum) else ""
        _fail(path, where, f"must be {kind} >= {minimum}{upper}, got {value!r}")


def _code(path, where, code) -> str:
    if not isinstance(code, str) or not code.strip():
        _fail(path, where, f"codes must be non-empty strings, got {code!r}")
    norm = code.strip().upper().replace(".", "")
    if not (norm[0].isalpha() and norm[1:3].isdigit()):
        _fail(path, where, f"{code!r} is not an ICD-10 code (letter + 2 digits ...)")
    return norm


def _yield(path: Path, y) -> None:
    """[yield]: follow-up windows (whole months), the headline among them, the expected band
    (shares, low <= high) and min_n - read by the report and `aos evaluate`."""
    if not isinstance(y, dict):
        _fail(path, "[yield]", "missing section")
    for k in ("windows_months", "headline_window_months", "band_low", "band_high", "min_n"):
        if k not in y:
            _fail(path, "[yield]", f"missing key {k!r}")
    w = y["windows_months"]
    if not isinstance(w, list) or not w:
        _fail(path, "[yield] windows_months", "must be a non-empty list of months")
    for m in w:
        _number(path, "[yield] windows_months", m, integer=True, minimum=1, maximum=1200)
    if y["headline_window_months"] not in w:
        _fail(path, "[yield] headline_window_months", "must be one of windows_months")
    for k in ("band_low", "band_high"):
        _number(path, f"[yield] {k}", y[k], maximum=1)
    if y["band_low"] > y["band_high"]:
        _fail(path, "[yield] band_low", "must not be above band_high")
    _number(path, "[yield] min_n", y["min_n"], integer=True, minimum=1)


def _criterion(path: Path, cid: str, c, canonical: dict) -> None:
    """Check one [criteria.<id>] declaration against its kind; normalise its codes."""
    where = f"[criteria.{cid}]"
    if not CRITERION_ID.fullmatch(cid):
        _fail(path, where, "the id must be lower-case letters, digits and _ (a letter first)")
    if not isinstance(c, dict):
        _fail(path, where, "must be a table")
    if c.get("kind") not in KINDS:
        _fail(path, f"{where} kind", f"must be one of {', '.join(KINDS)}, got {c.get('kind')!r}")
    _, params, takes_codes = KINDS[c["kind"]]
    for k in META_KEYS:
        if k not in c:
            _fail(path, where, f"missing key {k!r}")
    for k in ("name_sv", "name_en", "description_en", "description_sv"):
        if not isinstance(c[k], str) or not c[k].strip():
            _fail(path, f"{where} {k}", "must be a non-empty text")
    for k in ("authored", "reviewed"):
        if not isinstance(c[k], dt.date):
            _fail(path, f"{where} {k}", "must be a date (YYYY-MM-DD)")
    bad = [t for t in c["inputs"] if t not in OPTIONAL_TABLES]
    if bad or not c["inputs"]:
        _fail(path, f"{where} inputs", f"unknown table(s) {bad}")
    extra = set(c) - set(META_KEYS) - set(params) - {"kind"} - ({"codes"} if takes_codes else set())
    if extra:
        _fail(path, where, f"unknown key(s) {', '.join(sorted(extra))} for kind {c['kind']}")
    for k, typ in params.items():
        if k not in c:
            _fail(path, where, f"missing parameter {k!r} (kind {c['kind']})")
        if typ == TEXT:
            if not isinstance(c[k], str) or not c[k].strip():
                _fail(path, f"{where} {k}", "must be a non-empty text")
        else:
            _number(path, f"{where} {k}", c[k], integer=typ == INT, maximum=MAXIMUM.get(k, math.inf))
    if c["kind"] == "lab_above":
        if c["analyte"] not in canonical:
            _fail(path, f"{where} analyte", f"unknown analyte {c['analyte']!r} (see units.csv)")
        if c["unit"] != canonical[c["analyte"]]:
            _fail(path, f"{where} unit", f"must be {canonical[c['analyte']]!r}, the canonical unit "
                  f"of {c['analyte']}")
    if takes_codes:
        if not c.get("codes"):
            _fail(path, where, "missing 'codes' (a list of ICD-10 prefixes)")
        c["codes"] = [_code(path, f"{where} codes", x) for x in c["codes"]]


def validate(path: Path, data: dict) -> dict:
    for key in ("version", "authored_by", "authored", "reviewed_by", "reviewed", "source"):
        if key not in data:
            _fail(path, "top level", f"missing key {key!r}")
    if not isinstance(data["version"], str) or not data["version"]:
        _fail(path, "version", "must be a non-empty string")
    for section, keys in SECTIONS.items():
        if not isinstance(data.get(section), dict):
            _fail(path, f"[{section}]", "missing section")
        for k in keys:
            if k not in data[section]:
                _fail(path, f"[{section}]", f"missing key {k!r}")
            integer = section in ("windows", "cohort")
            _number(path, f"[{section}] {k}", data[section][k], integer=integer,
                    minimum=1 if integer and k != "min_age" else 0,
                    maximum=MAXIMUM.get(section, math.inf))
    canonical = {r["analyte"]: r["canonical_unit"] for r in units_rows()}
    if data["route"].get("ferritin_unit") != canonical["ferritin"]:
        _fail(path, "[route] ferritin_unit", f"must be {canonical['ferritin']!r}, the canonical unit "
              "that ferritin_below is compared in")
    _yield(path, data.get("yield"))
    cancer = data["cancer"]
    for k in ("icd10_from", "icd10_to"):
        if k not in cancer:
            _fail(path, "[cancer]", f"missing key {k!r}")
        cancer[k] = _code(path, f"[cancer] {k}", cancer[k])[:3]
    cancer["icd10_except"] = [_code(path, "[cancer] icd10_except", c)
                              for c in cancer.get("icd10_except", [])]
    crit = data.get("criteria")
    if not isinstance(crit, dict):
        _fail(path, "[criteria]", "missing section")
    if not crit:
        _fail(path, "[criteria]", "no criterion declared")
    for cid, c in crit.items():
        _criterion(path, cid, c, canonical)
    for kind in SINGLE_KINDS:
        ids = [cid for cid, c in crit.items() if c["kind"] == kind]
        if ids != [kind]:
            _fail(path, f"[criteria.{(ids or [kind])[0]}] kind", f"kind {kind!r} is for exactly "
                  f"one criterion, {kind!r}; add others as kind lab_above or new_code")
    return data


def load_rules(path: str | Path | None = None) -> Rules:
    path = Path(path) if path else DEFAULT_RULES
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"rules file {path}: cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"rules file {path}: not valid TOML ({exc})") from None
    data = validate(path, data)
    return Rules(path=path, sha256=hashlib.sha256(raw).hexdigest(), version=data["version"],
                 data=data)


def install_cancer_macro(con, cancer: dict) -> None:
    """Define the SQL macro `is_counted_cancer(icd10)` on `con` from a validated [cancer]
    section: the one cancer definition of the cohort, the report and `aos evaluate`."""
    sqlfiles.run_file(con, "cohort/cancer.sql", {f"cancer.{k}": cancer[k]
                                                 for k in ("icd10_from", "icd10_to", "icd10_except")})
