"""Run the generator: blocks -> chunks -> files in a staging directory -> moved into place."""
from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from .. import months, schema
from ..log import progress_bar
from . import params
from .block import Context, arrow_schema, generate_block
from .population import Period, care_units
from .writer import SWEDISH, TableWriter, write_toml

TRUTH_TABLES = ("cancers", "referrals", "episodes", "conditions")
logger = logging.getLogger(__name__)


@dataclass
class Options:
    patients: int
    month_from: tuple[int, int]
    month_to: tuple[int, int]
    out: Path
    seed: int = 1
    fmt: str = "parquet"
    swedish_csv: bool = False
    chunk_size: int | None = None
    progress: bool = True


def day_number(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def extract_dates(opt: Options, P: params.Params) -> dict[str, dt.date]:
    last = dt.date(*opt.month_to, 1)
    extract_date = months.last_day(last)
    reg = months.last_day(months.add(last, -P.cfg["register_lag_months"]))
    return {"extract_date": extract_date, "data_complete_until": extract_date,
            "cancer_register_complete_until": reg}


def run(opt: Options) -> dict:
    """Generate the extract into opt.out (and its truth into opt.out/truth); returns row counts."""
    P = params.load()
    block = P.cfg["block_size"]
    chunk = opt.chunk_size or P.cfg["default_chunk_size"]
    dates = extract_dates(opt, P)
    start = dt.date(*opt.month_from, 1)
    period = Period(day_number(start), day_number(dates["extract_date"]), start.year)
    units = care_units(np.random.default_rng([opt.seed, 2**32 - 1]), opt.patients, P)
    ctx = Context(opt.seed, opt.patients, period, day_number(dates["cancer_register_complete_until"]),
                  units, P)

    ext = "parquet" if opt.fmt == "parquet" else "csv"
    out = opt.out.resolve()
    stage = out.with_name(out.name + ".partial")
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "truth").mkdir(parents=True)
    writers = {t.name: TableWriter(stage / f"{t.name}.{ext}", arrow_schema(t.name), opt.fmt, opt.swedish_csv)
               for t in schema.EXTRACT_TABLES}
    truth_writers: dict[str, TableWriter] = {}
    counts = {name: 0 for name in writers}
    t0 = time.perf_counter()
    n_blocks = -(-opt.patients // block)
    per_chunk = max(1, chunk // block)
    with progress_bar("synth", total=opt.patients, show=opt.progress) as bar:
        try:
            writers["care_units"].write(pa.table({
                "care_unit_id": pa.array(units.ids, pa.string()), "name": pa.array(units.names, pa.string()),
                "region": pa.array([P.cfg["region"]] * len(units.ids), pa.string())}))
            counts["care_units"] = len(units.ids)
            for c0 in range(0, n_blocks, per_chunk):
                parts = [generate_block(ctx, b) for b in range(c0, min(c0 + per_chunk, n_blocks))]
                for name in writers:
                    if name == "care_units":
                        continue
                    table = pa.concat_tables([p[0][name] for p in parts])
                    writers[name].write(table)
                    counts[name] += table.num_rows
                for name in TRUTH_TABLES:
                    table = pa.concat_tables([p[1][name] for p in parts])
                    if name not in truth_writers:
                        truth_writers[name] = TableWriter(stage / "truth" / f"{name}.{ext}", table.schema,
                                                          opt.fmt, False)
                    truth_writers[name].write(table)
                done = min((c0 + per_chunk) * block, opt.patients)
                bar.update(completed=done)
                if opt.progress:
                    logger.info(f"synth: {done:,}/{opt.patients:,} patients ({100 * done / opt.patients:.0f} %), "
                                f"{sum(counts.values()):,} rows, {time.perf_counter() - t0:.1f} s")
            for w in [*writers.values(), *truth_writers.values()]:
                w.close()
            meta = {"region": P.cfg["region"], **{k: v.isoformat() for k, v in dates.items()}}
            if opt.swedish_csv:
                meta.update(SWEDISH)
            write_toml(stage / "extract.toml", meta, [
                "Synthetic extract written by `aos synth` (no real patients).",
                f"patients={opt.patients} from={opt.month_from[0]}-{opt.month_from[1]:02d} "
                f"to={opt.month_to[0]}-{opt.month_to[1]:02d} seed={opt.seed} format={opt.fmt}"
                + (" swedish-csv" if opt.swedish_csv else ""),
                "The ground truth is in truth/ (not part of the extract)."])
            _move_into(stage, out)
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)
    if opt.progress:
        logger.info(f"synth: wrote {opt.out} in {time.perf_counter() - t0:.1f} s")
    return counts


def _move_into(stage: Path, out: Path) -> None:
    """Replace an earlier extract in `out` (any format) by the staged one; other files stay."""
    out.mkdir(parents=True, exist_ok=True)
    for name in existing_outputs(out):
        target = out / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    for item in stage.iterdir():
        shutil.move(str(item), str(out / item.name))


def existing_outputs(out: Path) -> list[str]:
    """Files of an earlier extract in `out` (so that the command can refuse to overwrite)."""
    if not out.exists():
        return []
    names = {"extract.toml", "truth"} | {f"{t.name}.{e}" for t in schema.EXTRACT_TABLES
                                         for e in ("csv", "parquet", "csv.gz")}
    return sorted(p.name for p in out.iterdir() if p.name in names)
