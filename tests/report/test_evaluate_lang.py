"""`aos evaluate --lang sv|en` (issue 12): Swedish by default, English on request."""
from __future__ import annotations

from tests.evaluate.test_command import db, run  # noqa: F401  (the module-scoped fixture)

from .test_headline import english_in


def test_evaluate_html_is_swedish_by_default_and_english_on_request(db, tmp_path):  # noqa: F811
    assert run(db, tmp_path / "sv", "--no-model") == 0
    assert run(db, tmp_path / "en", "--no-model", "--lang", "en") == 0
    sv = (tmp_path / "sv" / "evaluate.html").read_text(encoding="utf-8")
    en = (tmp_path / "en" / "evaluate.html").read_text(encoding="utf-8")
    assert "<html lang='sv'>" in sv and "Arbetsbörda och utfall" in sv and "Granskningsregeln" in sv
    assert "Workload and yield" not in sv and "Review rule by min_criteria" not in sv
    assert "<html lang='en'>" in en and "Workload and yield" in en
    english = english_in(sv)
    assert not english, english[:5]
    answer = sv[sv.index("class='answer'"):].split("</p>")[0]
    assert any(w in answer for w in ("Granskningsregeln", "Ingen inställning", "För få")), answer
    assert any(w in en[en.index("class='answer'"):].split("</p>")[0]
               for w in ("The review rule", "No min_criteria", "Too few"))
    assert english_in(en)  # the scan does find English where there is English
