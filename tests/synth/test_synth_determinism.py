"""Same seed -> identical bytes; different chunk sizes -> identical content; other seed -> other data."""
import pyarrow.parquet as pq

from .conftest import make

FILES = ["patients", "contacts", "prescriptions", "lab_results", "diagnoses", "observations",
         "referrals", "cancer_diagnoses", "care_units", "truth/cancers", "truth/referrals"]


def test_same_seed_gives_identical_bytes(tmp_path):
    a = make(tmp_path / "a", 1_500, seed=11)
    b = make(tmp_path / "b", 1_500, seed=11)
    for name in FILES + ["extract"]:
        suffix = ".toml" if name == "extract" else ".parquet"
        assert (a / f"{name}{suffix}").read_bytes() == (b / f"{name}{suffix}").read_bytes(), name


def test_chunk_size_does_not_change_content(tmp_path):
    # 3,500 patients = 4 internal blocks (1,000 each); chunks of 1, 2 and 100 blocks
    dirs = [make(tmp_path / f"c{k}", 3_500, seed=5, chunk_size=k) for k in (1_000, 2_000, 100_000)]
    for name in FILES:
        tables = [pq.read_table(d / f"{name}.parquet") for d in dirs]
        assert tables[0].num_rows > 0, name
        assert tables[0].equals(tables[1]) and tables[0].equals(tables[2]), name
    # the chunking really differed: 4 row groups against 1
    assert pq.ParquetFile(dirs[0] / "contacts.parquet").num_row_groups == 4
    assert pq.ParquetFile(dirs[2] / "contacts.parquet").num_row_groups == 1


def test_other_seed_gives_other_data(tmp_path):
    a = pq.read_table(make(tmp_path / "a", 1_000, seed=1) / "contacts.parquet")
    b = pq.read_table(make(tmp_path / "b", 1_000, seed=2) / "contacts.parquet")
    assert not a.equals(b)
