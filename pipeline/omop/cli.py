"""The OMOP options of `aos ingest` and `aos run` (kept here so the command modules stay small)."""
from __future__ import annotations

from pathlib import Path

from ..errors import UsageError


def add_arguments(p, cohort_out: bool = False) -> None:
    g = p.add_argument_group("OMOP CDM input (SPEC §8, docs/omop.md)")
    g.add_argument("--omop", metavar="SOURCE",
                   help="read an OMOP CDM source instead of EXTRACT_DIR: a folder of OMOP table files "
                        "(person.csv, PERSON.csv, .csv.gz, .parquet; comma or tab) or a DuckDB file")
    g.add_argument("--omop-schema", metavar="S",
                   help="schema of the OMOP tables in a DuckDB SOURCE (default: main)")
    g.add_argument("--extract-toml", metavar="FILE",
                   help="extract.toml for the OMOP source (default: extract.toml beside the tables); "
                        "without it cancer_register_complete_until is the last date with data")
    if cohort_out:
        g.add_argument("--omop-cohort-out", metavar="DIR",
                       help="also write the review episodes as OMOP cohort.csv and "
                            "cohort_definition.csv into DIR")


def check_args(args, need_source: bool = False) -> bool:
    """True when --omop is given; refuse OMOP-only options without it, and both sources at once."""
    if not getattr(args, "omop", None):
        for opt in ("omop_schema", "extract_toml"):
            if getattr(args, opt, None):
                raise UsageError(f"--{opt.replace('_', '-')} needs --omop SOURCE")
        if need_source and not args.extract_dir:
            raise UsageError("give EXTRACT_DIR or --omop SOURCE")
        return False
    if args.extract_dir:
        raise UsageError("give either EXTRACT_DIR or --omop SOURCE, not both")
    return True


def omop_ingest(args, con=None):
    """The OMOP ingest of `aos ingest` (its own transaction) or, with `con`, inside the caller's
    open transaction (`aos run`). Returns the summary."""
    from .ingest import ingest_omop, ingest_omop_into
    options = dict(db_schema=args.omop_schema or "main", extract_toml=args.extract_toml)
    if con is not None:
        return ingest_omop_into(con, args.omop, args.db, **options)
    db = Path(args.db)
    if db.is_dir():
        raise UsageError(f"--db {args.db}: is a directory; give a database file path")
    if not db.parent.exists():
        raise UsageError(f"--db {args.db}: directory {db.parent} does not exist")
    return ingest_omop(args.omop, args.db, **options)


def omop_outputs(con, args, info: dict, manifest: dict, rules) -> None:
    """Manifest note on the cancer outcome of an OMOP extract; the OMOP cohort export."""
    from .cohort_out import write_cohort
    from .ingest import cancer_source
    source = cancer_source(con)
    if source:
        manifest["extract"]["cancer_outcome_source"] = source
    if getattr(args, "omop_cohort_out", None):
        manifest["omop_cohort"] = write_cohort(con, args.omop_cohort_out, rules, info["months"][-1])
