"""One line per executed chapter, from the JUnit XML that nbmake wrote: name, time, outcome.

Usage: python tools/chapter_report.py _build/notebooks.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def main(path: str) -> int:
    failed = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name", "?").split("::")[-1].removesuffix(".ipynb")
        if case.find("failure") is not None or case.find("error") is not None:
            outcome, failed = "FAILED", failed + 1
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "ok"
        print(f"  {name:44s} {float(case.get('time', 0)):5.0f} s  {outcome}")
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1]) else 0)
