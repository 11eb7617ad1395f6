from pipeline.cohort.criteria_doc import DOC_PATH, render, spec_titles


def test_criteria_doc_is_current():
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/criteria.md is out of date: run `python -m pipeline.cohort.criteria_doc`")


def test_doc_lists_the_spec_timelines():
    titles = [t for ts in spec_titles().values() for t in ts]
    assert len(titles) >= 30
    assert all(t in render() for t in titles)
