"""`make audit` never says "no vulnerabilities" for packages it could not check."""

from __future__ import annotations

from webui.core.management.commands.audit_dependencies import verdict


def test_every_package_skipped_is_could_not_check_never_a_pass():
    report = {"dependencies": [{"name": n, "skip_reason": "Connection refused"} for n in ("django", "celery")]}
    result = verdict(report)
    assert result.code == 2 and result.lines[0] == "could not check: all 2 packages were skipped"
    assert "no known vulnerabilities" not in " ".join(result.lines).lower()


def test_an_empty_report_is_could_not_check():
    assert verdict({"dependencies": []}).code == 2


def test_a_vulnerable_package_fails_naming_it_and_the_advisory():
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2025-1"}]},
            {"name": "celery", "version": "5.7.0", "vulns": []},
            {"name": "pond", "skip_reason": "not on PyPI"},
        ]
    }
    result = verdict(report)
    assert result.code == 1
    assert result.lines[0] == "django 5.2.0: PYSEC-2025-1"
    assert result.lines[-1] == "2 packages checked, 1 skipped, 1 vulnerable"


def test_checked_and_clean_passes():
    report = {"dependencies": [{"name": "celery", "version": "5.7.0", "vulns": []}]}
    assert verdict(report).code == 0
