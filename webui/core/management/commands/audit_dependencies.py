"""`make audit`: check the installed packages against the PyPI advisory database.

pip-audit says "No known vulnerabilities found" even when it could check nothing
(every package skipped because its vulnerability service was unreachable). This
command reads pip-audit's JSON and says which it was: exit 0 only when packages were
checked and none is vulnerable; 1 when some are; 2 when nothing could be checked.
Not part of `make test` or CI: their machines cannot reach the database.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass

from django.core.management.base import BaseCommand


@dataclass(frozen=True)
class Verdict:
    code: int
    lines: list[str]


def verdict(report: dict) -> Verdict:
    packages = report.get("dependencies") or []
    skipped = [p for p in packages if p.get("skip_reason")]
    checked = [p for p in packages if not p.get("skip_reason")]
    vulnerable = [p for p in checked if p.get("vulns")]
    if not checked:
        reasons = sorted({p["skip_reason"] for p in skipped})[:3]
        return Verdict(2, [f"could not check: all {len(packages)} packages were skipped", *reasons])
    lines = [
        f"{p['name']} {p.get('version', '?')}: " + ", ".join(v.get("id", "?") for v in p["vulns"]) for p in vulnerable
    ]
    summary = f"{len(checked)} packages checked, {len(skipped)} skipped, {len(vulnerable)} vulnerable"
    return Verdict(1 if vulnerable else 0, [*lines, summary])


class Command(BaseCommand):
    help = "Audit installed packages with pip-audit; never reports 'no vulnerabilities' for an unchecked set."

    def handle(self, *args, **options) -> None:
        pip_audit = shutil.which("pip-audit") or shutil.which("pip-audit", path=str(sys.prefix) + "/bin")
        if not pip_audit:
            self.stderr.write("could not check: pip-audit is not installed (make audit installs it)")
            sys.exit(2)
        done = subprocess.run(
            [pip_audit, "--format", "json", "--progress-spinner", "off", "--skip-editable"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        try:
            report = json.loads(done.stdout)
        except ValueError:
            self.stderr.write("could not check: pip-audit gave no report\n" + done.stderr[-2000:])
            sys.exit(2)
        result = verdict(report)
        for line in result.lines:
            (self.stdout if result.code == 0 else self.stderr).write(line)
        sys.exit(result.code)
