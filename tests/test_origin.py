"""`paper2code.project.origin`: where the running paper2code came from, read from its install record (PEP 610)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paper2code.project import origin


class FakeDistribution:
    version = "0.1.0"

    def __init__(self, direct_url: dict | None):
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return None if self.direct_url is None else json.dumps(self.direct_url)


@pytest.fixture
def installed(monkeypatch):
    def install(direct_url: dict | None) -> origin.Source:
        monkeypatch.setattr(origin.metadata, "distribution", lambda name: FakeDistribution(direct_url))
        return origin.installed_source()

    return install


def test_from_the_package_index_pins_the_version(installed):
    assert installed(None).requirement == "paper2code==0.1.0"


def test_from_a_wheel_file_installs_that_wheel(installed, tmp_path):
    wheel = tmp_path / "my wheels" / "paper2code-0.1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"")
    source = installed({"url": wheel.as_uri(), "archive_info": {}})
    assert (source.requirement, source.source) == ("paper2code", f'{{ path = "{wheel.as_posix()}" }}')


def test_from_a_checkout_installs_it_editable(installed):
    root = Path(__file__).resolve().parent.parent
    source = installed({"url": root.as_uri(), "dir_info": {"editable": True}})
    assert source.source == f'{{ path = "{root.as_posix()}", editable = true }}'


def test_a_wheel_that_is_gone_falls_back_to_the_version(installed, tmp_path):
    gone = tmp_path / "paper2code-0.1.0-py3-none-any.whl"
    assert installed({"url": gone.as_uri(), "archive_info": {}}).requirement == "paper2code==0.1.0"


def test_from_git_pins_the_commit(installed):
    source = installed({"url": "https://example.org/p2c.git",
                        "vcs_info": {"vcs": "git", "commit_id": "abc123"}})
    assert source.requirement == "paper2code @ git+https://example.org/p2c.git@abc123"


def test_a_folder_that_is_not_a_checkout_is_refused(tmp_path):
    with pytest.raises(origin.OriginError, match="without pyproject.toml"):
        origin.parse_source(str(tmp_path))
