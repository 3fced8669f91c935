"""Logging for the command's processes: key=value lines for a terminal, or JSON lines."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# Third-party loggers that speak of one page at a time: trafilatura, and the libraries it
# runs on a page (dates, URLs, boilerplate removal).
PER_PAGE_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": record.processName,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, fmt: str, stage: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s stage={stage} %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # kafka-python logs every refused reconnect at ERROR, many a second while a broker is
    # down; the stages already log that once as "stage paused" with the retry delay.
    logging.getLogger("kafka").setLevel(
        logging.WARNING if level.upper() == "DEBUG" else logging.CRITICAL
    )
    # The extractor and its helpers log ERROR for an ordinary bad page (a PNG served as HTML:
    # "parsed tree length: 0") and WARNING for what they catch and go on from; the extract
    # stage reports each page's outcome in its own terms (body_source, the dead letter).
    quiet = logging.WARNING if level.upper() == "DEBUG" else logging.CRITICAL
    for name in PER_PAGE_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
