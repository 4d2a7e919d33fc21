"""The report notebooks and the kernel they run in.

* :data:`NOTEBOOKS` names the template of each report kind, in
  :func:`notebooks_dir`.
* The kernel is the project's own environment: a kernelspec ``edu-quality``
  (:data:`KERNEL_NAME`) pointing at this Python is installed into
  ``sys.prefix`` when missing (:func:`ensure_kernel`), so a machine's
  unrelated ``python3`` kernel is never used. :data:`WARMUP` is run in every
  new kernel before its first report.
* Parameters are checked with :func:`papermill.inspect_notebook` before a run
  (:func:`check_parameters`, once per notebook file): an unknown parameter is
  refused (papermill itself only warns).
"""

from __future__ import annotations

import functools
from pathlib import Path

from .._checks import option_error
from ..errors import EduQualityError

__all__ = [
    "KERNEL_NAME",
    "NOTEBOOKS",
    "WARMUP",
    "WARMUP_ONE",
    "WARMUP_SCHOOL",
    "ParameterError",
    "check_parameters",
    "ensure_kernel",
    "notebook_path",
    "notebooks_dir",
]

#: Name of the project's kernelspec.
KERNEL_NAME = "edu-quality"
#: Report kinds → notebook file names in :func:`notebooks_dir`.
NOTEBOOKS = {
    "school": "school_report.ipynb",
    "municipality": "municipality_report.ipynb",
    "region": "region_factors.ipynb",
    "explore": "explore.ipynb",
}
#: Run in every new kernel before its first report: the imports every report needs (the
#: package imports its modules on first use; here they all are, while the batch plans).
WARMUP = (
    "import edu_quality, edu_quality.report.sections, edu_quality.plots, "
    "statsmodels.tsa.tsatools, "  # imported by statsmodels' add_constant when first called
    "matplotlib.backends.backend_agg, PIL.Image\n"  # imported by the first figure saved
    "PIL.Image.preinit()\n"
    "[getattr(edu_quality, _n) for _n in edu_quality.__all__]"
)
#: The warm-up of the kernel of one report (``edu-quality report school`` or
#: ``municipality``) whose year's tables are kept: only what every page imports. The rest
#: (SciPy's statistics, statsmodels, pandera) is imported where a table is computed.
WARMUP_ONE = (
    "import edu_quality.report.sections, edu_quality.plots, "
    "matplotlib.backends.backend_agg, PIL.Image\n"
    "PIL.Image.preinit()"
)
#: The warm-up of the kernel of one school report whose year's tables are computed: what
#: every page imports and what the school page computes with. That page needs neither
#: SciPy's statistics nor statsmodels (:mod:`edu_quality._stats`). The kernel imports
#: all of it while the command loads the dataset (both take about as long).
WARMUP_SCHOOL = (
    f"{WARMUP_ONE}\n"
    "import matplotlib.pyplot, scipy.special, edu_quality.identify, edu_quality.objectivity, "
    "edu_quality.score_checks, edu_quality.index, edu_quality.similar"
)


class ParameterError(EduQualityError, ValueError):
    """A report was asked with a parameter its notebook does not have."""


def notebooks_dir() -> Path:
    """The folder of the report notebooks: ``notebooks/`` of the installed package.

    Found from the package's own location, never the current folder (the
    source tree's top-level ``notebooks`` is a link to it).

    Examples
    --------
    >>> (notebooks_dir() / NOTEBOOKS["school"]).is_file()
    True
    """
    return Path(__file__).resolve().parents[1] / "notebooks"


def notebook_path(kind: str) -> Path:
    """Path of the notebook of a report kind.

    Examples
    --------
    >>> notebook_path("school").name
    'school_report.ipynb'
    """
    if kind not in NOTEBOOKS:
        raise option_error("kind", kind, list(NOTEBOOKS))
    return notebooks_dir() / NOTEBOOKS[kind]


def ensure_kernel() -> str:
    """Make the project's kernelspec start this environment's Python; return its name.

    The kernelspec runs ``sys.executable -m ipykernel_launcher``: the reports
    execute with exactly the packages of this environment. It is installed
    into ``sys.prefix`` when the spec Jupyter finds under :data:`KERNEL_NAME`
    is missing, broken, or starts another Python — another virtual environment
    made from the same interpreter counts as another (its ``python`` is a link
    to the same file, so the check compares the environments' folders, not the
    files the links lead to).

    Raises
    ------
    EduQualityError
        A spec of that name starting another Python is found before this
        environment's (in ``JUPYTER_PATH`` or the user's Jupyter folder).
    """
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    def found():
        try:
            return KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        except Exception:  # noqa: BLE001 - missing or broken spec: (re)installed
            return None

    spec = found()
    if spec is not None and spec.argv and _same_python(spec.argv[0], sys.executable):
        return KERNEL_NAME
    from ipykernel.kernelspec import install

    install(kernel_name=KERNEL_NAME, display_name="Python (edu_quality)", prefix=sys.prefix)
    spec = found()
    if spec is None or not spec.argv or not _same_python(spec.argv[0], sys.executable):
        where = spec.resource_dir if spec is not None else "?"
        raise EduQualityError(
            f"ядро Jupyter «{KERNEL_NAME}» из {where} запускает другой Python, а не "
            f"{sys.executable}, и найдено раньше ядра этого окружения: удалите его "
            f"(jupyter kernelspec remove {KERNEL_NAME}) или задайте JUPYTER_PREFER_ENV_PATH=1"
        )
    return KERNEL_NAME


def _same_python(command: str, executable: str) -> bool:
    """Whether a kernelspec's command is this Python of this environment.

    The same folder (the environment's ``bin``) and the same file there
    (``python`` and ``python3`` are links to one another); a link is not
    followed out of its folder, so two environments made from one interpreter
    differ.
    """
    a, b = Path(command).absolute(), Path(executable).absolute()
    try:
        return a.parent == b.parent and a.samefile(b)
    except OSError:  # a command that is not there
        return False


@functools.lru_cache(maxsize=64)
def _known_parameters(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    import papermill

    return tuple(sorted(papermill.inspect_notebook(path)))


def check_parameters(notebook: str | Path, parameters: dict[str, object]) -> None:
    """Refuse parameters the notebook's ``parameters`` cell does not declare.

    The notebook is inspected with :func:`papermill.inspect_notebook` once per
    version of the file.

    Raises
    ------
    ParameterError
        Naming the unknown parameters and the known ones.
    """
    path = Path(notebook).resolve()
    st = path.stat()
    known = _known_parameters(str(path), st.st_mtime_ns, st.st_size)
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ParameterError(
            f"Неизвестные параметры отчёта {path.name}: {', '.join(unknown)}; "
            f"допустимые: {', '.join(known)}"
        )
