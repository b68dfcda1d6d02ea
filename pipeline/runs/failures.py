"""What went wrong in a failed Dagster step, in one line a person can act on."""

from __future__ import annotations

import re
from typing import Any


def failure_line(error: Any) -> str:
    """The first line of the error a step raised, under Dagster's wrappers (`SerializableErrorInfo`).

    Our own errors already say what went wrong in words, and so does a step's own `dagster.Failure`, so their
    class name is dropped; a bug keeps it.
    """
    while error.cause is not None and "dagster" in (error.cls_name or "").lower():
        error = error.cause
    message = error.message.strip().splitlines()[0]
    return re.sub(r"^(pipeline\.[\w.]+Error|dagster\._core\.definitions\.events\.Failure): ", "", message)
