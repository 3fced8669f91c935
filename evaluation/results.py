"""Where the eval and bench commands leave their figures: one JSON file each, under results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_results(path: Path, figures: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written: {path}")
