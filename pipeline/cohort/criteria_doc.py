"""Generate docs/criteria.md from the rules file and the spec tests (`python -m
pipeline.cohort.criteria_doc`); tests/cohort/test_docs.py checks that it is current."""
from __future__ import annotations

import ast
from pathlib import Path

from ..paths import REPO_DIR
from .rules import KINDS, load_rules

DOC_PATH = REPO_DIR / "docs" / "criteria.md"
SPEC_DIR = REPO_DIR / "tests" / "cohort" / "spec"
META = ("description_en", "description_sv", "rationale", "source", "inputs", "authored_by",
        "authored", "reviewed_by", "reviewed", "unit", "kind", "name_sv", "name_en")

HEAD = """\
# AOS criteria and the monthly review cohort

*Generated from `{rules}` (version `{version}`) and the spec tests in `tests/cohort/spec/`
by `python -m pipeline.cohort.criteria_doc`. Do not edit by hand.*

`aos run` evaluates every month *M* **as of** its last day *T*, using only data dated on or
before *T*. Windows are whole calendar months: **R** = the {r} months ending with *M*
(M−{r1} … M), **B** = the {b} months before R (M−{b0} … M−{r}). A criterion is *new* when it is
met in R and was not met in B (labs: no value beyond the same threshold in B; codes: no code of
the same group in B). Codes match by prefix with the dot removed (R53 matches R53, R531, R539).
`>` is strictly above, `≥` at or above; derived values (corrected calcium, drops, ratios,
thresholds) are rounded to 6 decimals before comparing. Exact duplicate rows count once.
A month whose B starts before the first month with data is computed and marked
*baseline incomplete* (`cohort_runs.baseline_incomplete`, the manifest).

## Cohort steps (SPEC §4)

Exclusions, counted at the first that applies, in this order (table `attrition`):

1. age under {min_age} at T (year(T) − birth_year, or the exact age when birth_date is known);
2. dead at T (death_date ≤ T);
3. not listed at T (listed_from > T or listed_to < T);
4. known cancer: {cancer} in `cancer_diagnoses` in months M−{k1} … M (an older cancer is kept
   and shown as `prior_cancer`);
5. a referral event of any pathway in R (already in a pathway).

Then the criteria below for those who pass; **review list** when ≥ {min_criteria} distinct
criteria are met (attrition step 6 counts the others). **Route** `iron_deficiency` when hb_low
holds and the lowest ferritin in R is below {ferritin} µg/L, otherwise `aos`. **New episode**
when the patient was not on the list in any of M−{e} … M−1 (those months are computed in the
same pass). A criterion whose input tables were not ingested is **not evaluable**: listed in
`cohort_runs.not_evaluable`, the manifest and `releasable/attrition.csv`, never "not met".

## Criteria

Each criterion is a section `[criteria.<id>]` of the rules file with a `kind`
(`pipeline/cohort/rules.py` `KINDS`: the kind's SQL template and its typed parameters), checked
when the rules load. A criterion of an existing kind is added by the rules file alone: kind
`lab_above` (`analyte`, `label`, `above`, `unit` = the analyte's canonical unit) or `new_code`
(`codes`). The engine runs every declared criterion; `patient_month_features` gets one flag
column per criterion and an `<analyte>_max_r` column per `lab_above` analyte.
"""

FEATURES = """
## Table `patient_month_features`

One row per requested month and patient who passed the exclusions; every value is computed
from data dated on or before *T* (for a learned model). Counts are 0 and lab values NULL when
there was nothing in R.

| column | meaning |
|---|---|
| month | the month M (DATE, first day) |
| patient_id, care_unit_id, sex | as in `patients` |
| age | age at T |
| prior_cancer | a cancer diagnosed before M−{k1} |
| baseline_incomplete | B starts before the first month with data |
| contact_days_r | distinct contact days in R |
| prescriptions_r | prescription rows in R |
| new_substances_r | full ATC codes prescribed in R and not in B |
| alp_max_r, esr_max_r, platelets_max_r, calcium_ionized_max_r | highest value in R (and `<analyte>_max_r` of any other `lab_above` analyte) |
| calcium_corrected_max_r | highest albumin-corrected (else uncorrected) calcium in R |
| hb_min_r, ferritin_min_r | lowest value in R |
| weight_latest_r | latest daily mean weight in R (kg) |
| weight_loss_pct_r | its loss in % from the highest weight in the {lookback} days before |
| contact_spike … pain | one BOOLEAN per criterion: met in M |
| n_criteria | number of criteria met |
| on_review_list | on the review list in M |

## Outputs of `aos run`

- `sensitive/review_list.csv` — `month, care_unit_id, patient_id, new_episode, n_criteria,
  criteria, route, prior_cancer, evidence`; one evidence line per patient, each criterion as a
  clinician writes it (`ALP 2.4 µkat/L 2025-05-12 (> 1.9)`), joined with `; `, plus the
  ferritin for route `iron_deficiency`.
- `sensitive/criteria.csv` — `month, patient_id, criterion, evidence_date, value, threshold,
  unit`: every met criterion of every patient who passed the exclusions (code criteria have no
  value or threshold; drug_rise's unit says which branch, `substances` or `prescriptions`).
- `releasable/attrition.csv` — `month, care_unit_id, step_no, step, n_before, n_excluded,
  n_after, suppressed, not_evaluable`, region (`ALL`) first. Counts 1–4 are emptied, and so is
  every cell that would reveal one (`n_before = n_excluded + n_after`, a step's `n_after` = the
  next step's `n_before`, region = sum of units), with `pipeline.disclosure.suppress`.
- `run_manifest.json` — command, code version, inputs (file hashes from `ingest_files`),
  extract dates, rules file path/version/SHA-256, parameters, timings per step, row counts,
  not-evaluable and partially evaluable criteria, exclusions not applied, baseline-incomplete
  months, the episode look-back months computed.

CSVs are staged inside `--out` and published with the report by one atomic switch of
`--out/current`, after the database tables of the months were replaced in the run's one
transaction (docs/architecture.md "Locking, transactions and publishing"). Rows are sorted,
so the same inputs and rules give byte-identical CSVs.

## Choices where the spec is silent

- Each criterion's code list is one group: R63.4 in B makes a new R64 in R not new.
- "Full ATC code" = the code as stored (no truncation to a level).
- Evidence date: the date of the extreme value (earliest on ties), the first code of the group
  in R, the last contact or prescription in R, the day of the latest weight.
- The first data month (for *baseline incomplete*) is the earliest date in contacts,
  lab_results, prescriptions, diagnoses and observations.
- A patient with no known age is counted at step 1.
- Attrition has a sixth step, "fewer than 2 criteria", so that its last `n_after` is the
  review list.
- Optional inputs: without `cancer_diagnoses` or `referrals` the exclusions 4 / 5 cannot apply
  (the manifest says so); weight_loss is evaluable from either `observations` or `diagnoses`.

## Implementation

`sql/cohort/` holds one file per stage or criterion, run by `pipeline/cohort/engine.py` with
the rules file's values filled in. Patient-month aggregates (`sql/cohort/aggregates/`) are
stored in the database and rebuilt only for the months whose data changed
(`docs/architecture.md`, "Stored aggregates"); each criterion then sums or maxes over month
rows (R by expanding each month row into the ≤ 3 target months whose R holds it, B by a join
of the few candidates with their 12 baseline month rows). The two look-ups that cannot be
monthly (albumin within ±7 days, weights within 183 days) are done set-based per sample or
weighing month (`pm_calcium.sql`, `pm_weight.sql`). A backfill of many months is one pass; a
test checks that it equals each month computed alone, another that deleting every row dated
after T never changes month M, and another that incremental runs equal a full computation.
"""


def spec_titles() -> dict[str, list[str]]:
    """Spec test file -> the titles of its Case(...) timelines, in order."""
    out = {}
    for path in sorted(SPEC_DIR.glob("test_*.py")):
        titles = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Case"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                titles.append(node.args[0].value)
        out[path.name] = titles
    return out


def render(rules=None) -> str:
    rules = rules or load_rules()
    d = rules.data
    r, b = d["windows"]["recent_months"], d["windows"]["baseline_months"]
    c = d["cancer"]
    cancer = f"ICD-10 {c['icd10_from']}–{c['icd10_to']}" + (
        f" except {', '.join(c['icd10_except'])}" if c["icd10_except"] else "")
    try:
        shown = rules.path.relative_to(REPO_DIR)
    except ValueError:
        shown = rules.path
    lines = [HEAD.format(
        rules=shown, version=rules.version, r=r, r1=r - 1, b=b, b0=r + b - 1,
        min_age=d["cohort"]["min_age"], cancer=cancer,
        k1=d["cohort"]["known_cancer_lookback_months"] - 1,
        min_criteria=d["cohort"]["min_criteria"], ferritin=d["route"]["ferritin_below"],
        e=d["cohort"]["episode_lookback_months"])]
    for cid, crit in rules.criteria.items():
        params = {k: v for k, v in crit.items() if k not in META}
        lines += [
            f"### `{cid}` — {crit['description_sv']}", "",
            crit["description_en"], "",
            f"- kind: `{crit['kind']}` (template `sql/cohort/{KINDS[crit['kind']][0]}`)",
            f"- parameters: " + ", ".join(f"`{k} = {v}`" for k, v in params.items()),
            f"- input tables: {', '.join(crit['inputs'])}" + (f"; unit {crit['unit']}" if "unit" in crit else ""),
            f"- rationale: {crit['rationale']}",
            f"- source: {crit['source']}",
            f"- authored by {crit['authored_by']} ({crit['authored']}); reviewed by "
            f"{crit['reviewed_by']} ({crit['reviewed']})", "",
        ]
    lines.append("## Spec tests (patient timelines in `tests/cohort/spec/`)\n")
    for name, titles in spec_titles().items():
        lines.append(f"- `{name}`")
        lines += [f"  - {t}" for t in titles]
    lines.append(FEATURES.format(k1=d["cohort"]["known_cancer_lookback_months"] - 1,
                                 lookback=rules.criteria["weight_loss"]["lookback_days"]))
    return "\n".join(lines)


def main() -> None:
    DOC_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC_PATH}")


if __name__ == "__main__":
    main()
