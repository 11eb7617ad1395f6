"""report.html: one self-contained file (inline CSS, figures as base64 PNG, no scripts)."""
from __future__ import annotations

import base64
from pathlib import Path

import jinja2

from .. import safetext
from ..paths import DATA_DIR
from .messages import Messages

TEMPLATES = DATA_DIR / "templates"


def data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def render(context: dict, msg: Messages) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=safetext.plain)
    return env.get_template("report.html.j2").render(msg=msg, **context)
