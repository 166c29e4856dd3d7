"""gunicorn's logger, with share-link tokens redacted (see webui.core.logging_redaction).

Production serves with `--logger-class webui.core.gunicorn_logging.RedactingLogger`
(Dockerfile, run_pond). The access log is built from redacted atoms, so whatever
`--access-logformat` names (the request line, path, query, Referer, any header or
environ value) shows `/status/s/<redacted>/` and `share=<redacted>`; the error log
(which logs "GET <path>" at DEBUG, and the path of a request that failed) is filtered.
"""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from webui.core.logging_redaction import RedactShareTokens, redact_share_tokens


class RedactingLogger(glogging.Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)  # again on every reopen: add the filter once
        if not any(isinstance(f, RedactShareTokens) for f in self.error_log.filters):
            self.error_log.addFilter(RedactShareTokens())

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact_share_tokens(v) if isinstance(v, str) else v for k, v in atoms.items()}
