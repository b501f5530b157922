"""Where this copy of paper2code came from, and how a generated project installs the same.

A project made by ``paper2code new NAME --from ANALYSIS_DIR`` needs paper2code
itself (its pytest plugin grades the rubric, ``paper2code report`` prints the
scorecard). It installs it from what ``--paper2code SPEC`` names:

* a version or a requirement: ``0.1.0``, ``paper2code==0.1.0`` (from the package index);
* a wheel: ``./dist/paper2code-0.1.0-py3-none-any.whl``;
* a folder: a clone of the repository (installed editable).

Without ``--paper2code``, the project installs it from where the running copy
came from: the wheel, folder or URL it was installed from (pip and uv record it
in ``direct_url.json``, PEP 610), else its version from the package index.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

__all__ = ["OriginError", "Source", "installed_source", "parse_source"]

_VERSION = re.compile(r"\d+(\.\d+)*([a-z]+\d*)?(\.post\d+)?(\.dev\d+)?")
_REQUIREMENT = re.compile(r"paper2code\s*(\[[\w,\s]*\])?\s*(==|>=|<=|~=|!=|>|<)\s*\S.*")


class OriginError(Exception):
    """A ``--paper2code`` value that names no version, requirement, wheel or folder."""


@dataclass(frozen=True)
class Source:
    """How a project installs paper2code.

    Attributes:
        requirement: the line of the project's ``dev`` group
            (``paper2code==0.1.0``, or ``paper2code`` with a source below).
        source: the inline table of ``[tool.uv.sources]`` (``{ path = "..." }``), or ``""``.
        described: one line for the user: where it comes from.
    """

    requirement: str
    source: str = ""
    described: str = ""


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string


def _path_source(path: Path) -> Source:
    path = path.resolve()
    if path.is_dir():
        if not (path / "pyproject.toml").is_file():
            raise OriginError(f"{path}: a folder without pyproject.toml is not a paper2code checkout")
        return Source("paper2code", f"{{ path = {_toml_string(path.as_posix())}, editable = true }}",
                      f"the folder {path} (editable)")
    if path.suffix != ".whl" or not path.name.startswith("paper2code-"):
        raise OriginError(f"{path}: not a paper2code wheel (paper2code-VERSION-...whl)")
    return Source("paper2code", f"{{ path = {_toml_string(path.as_posix())} }}", f"the wheel {path}")


def parse_source(spec: str) -> Source:
    """The `Source` that ``--paper2code SPEC`` names.

    Examples:
        >>> parse_source("0.1.0").requirement
        'paper2code==0.1.0'
        >>> parse_source("paper2code>=0.1,<0.2").requirement
        'paper2code>=0.1,<0.2'
        >>> parse_source("numpy==2.0")
        Traceback (most recent call last):
        ...
        paper2code.project.origin.OriginError: 'numpy==2.0': not a version (0.1.0), a requirement (paper2code==0.1.0), a wheel or a folder
    """
    spec = spec.strip()
    if _VERSION.fullmatch(spec):
        return Source(f"paper2code=={spec}", "", f"paper2code=={spec} from the package index")
    if _REQUIREMENT.fullmatch(spec):
        return Source(spec, "", f"{spec} from the package index")
    if re.match(r"(git\+)?https?://", spec):
        return Source(f"paper2code @ {spec}", "", spec)
    path = Path(spec).expanduser()
    if path.exists():
        return _path_source(path)
    if spec.endswith(".whl") or "/" in spec or "\\" in spec:
        raise OriginError(f"{spec}: no such wheel or folder")
    raise OriginError(f"{spec!r}: not a version (0.1.0), a requirement (paper2code==0.1.0), "
                      "a wheel or a folder")


def installed_source() -> Source:
    """Where the running paper2code was installed from (see the module docstring)."""
    try:
        dist = metadata.distribution("paper2code")
    except metadata.PackageNotFoundError:  # run from a source tree without installing
        return _path_source(Path(__file__).resolve().parents[3])
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    url = direct.get("url", "")
    if url.startswith("file:"):
        path = Path(url2pathname(unquote(urlparse(url).path)))
        if path.exists():
            return _path_source(path)
    elif url and "vcs_info" in direct:
        commit = direct["vcs_info"].get("commit_id")
        return Source(f"paper2code @ {direct['vcs_info']['vcs']}+{url}" + (f"@{commit}" if commit else ""),
                      "", url)
    elif url:
        return Source(f"paper2code @ {url}", "", url)
    return Source(f"paper2code=={dist.version}", "", f"paper2code=={dist.version} from the package index")
