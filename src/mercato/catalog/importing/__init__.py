"""Import of products and SKUs from CSV/XLSX files (one row per SKU).

engine.import_products does the work; jobs.py wraps it for the back office (an uploaded
file, run as a Celery task, with progress) and the command line.
"""

from .columns import COLUMNS, REQUIRED, format_specs
from .engine import CHUNK_SIZE, MAX_ERRORS, MODES, ImportResult, import_products
from .jobs import create_import_job, job_failure, job_progress, run_import_job, start_import
from .problems import Problem, column_label, describe
from .rows import RowError

__all__ = [
    "CHUNK_SIZE",
    "COLUMNS",
    "MAX_ERRORS",
    "MODES",
    "REQUIRED",
    "ImportResult",
    "Problem",
    "RowError",
    "column_label",
    "create_import_job",
    "describe",
    "format_specs",
    "import_products",
    "job_failure",
    "job_progress",
    "run_import_job",
    "start_import",
]
