"""The Gradio demo, launched on a free local port and called through gradio_client."""

from __future__ import annotations

import socket

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.integration  # run with `uv run pytest --integration` (tests/conftest.py)
def test_demo_copies_a_sequence_through_the_client():
    # Imported here, not at collection: Gradio takes seconds to import.
    pytest.importorskip("gradio", reason="the demo group is not installed (uv sync --group demo)")
    from gradio_client import Client

    from paper2code.demo import build_demo

    demo = build_demo()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, share=False, quiet=True)
    try:
        assert demo.share_url is None  # never public unless asked
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        assert client.predict("3 1 4 1 5 2", api_name="/predict") == "3 1 4 1 5 2"
        with pytest.raises(Exception, match="exactly 6 numbers"):
            client.predict("9 9", api_name="/predict")
    finally:
        demo.close()


def test_demo_listens_on_localhost_by_default(monkeypatch):
    import paper2code.demo as demo_module

    launched = {}

    class Fake:
        def launch(self, **kwargs):
            launched.update(kwargs)

    monkeypatch.setattr(demo_module, "build_demo", lambda steps: Fake())
    demo_module.main([])
    assert launched == {"server_name": "127.0.0.1", "server_port": 7860, "share": False}
