"""A Gradio demo of a model from the package: the Transformer on the copy task.

    uv run python -m paper2code.demo            # http://127.0.0.1:7860

It trains the small encoder–decoder of
[`paper2code.case_studies.copy_task`][paper2code.case_studies.copy_task] for a
few seconds at start-up, then copies the sequences you type with greedy
decoding. It listens on 127.0.0.1 only: ``--host 0.0.0.0`` exposes it to your
network, and ``--share`` (off unless asked for) makes a public gradio.live
link. Gradio's usage analytics are switched off.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["build_demo", "copy_sequence", "main"]


def copy_sequence(model, cfg, text: str) -> str:
    """Parse ``cfg.length`` symbols 0..n_symbols-1 from ``text``, decode, format the output."""
    import torch

    from paper2code.case_studies.copy_task import BOS
    from paper2code.models.transformer import greedy_decode

    try:
        symbols = [int(t) for t in text.replace(",", " ").split()]
    except ValueError:
        raise ValueError(f"type {cfg.length} whole numbers separated by spaces") from None
    if len(symbols) != cfg.length or not all(0 <= s < cfg.n_symbols for s in symbols):
        raise ValueError(f"type exactly {cfg.length} numbers, each from 0 to {cfg.n_symbols - 1}")
    src = torch.tensor([[s + 2 for s in symbols]])  # ids 0 and 1 are padding and BOS
    out = greedy_decode(model, src, bos_id=BOS, max_len=cfg.length + 1)[0, 1:] - 2
    return " ".join(str(int(s)) for s in out)


# --8<-- [start:build]
def build_demo(train_steps: int = 500):
    """Train the copy model, and return the Gradio interface around it."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from paper2code.case_studies.copy_task import CopyTaskConfig, exact_match, trained_copy_model

    cfg = CopyTaskConfig(steps=train_steps)
    model, _ = trained_copy_model(cfg)
    score = exact_match(model, cfg)

    def predict(text: str) -> str:
        try:
            return copy_sequence(model, cfg, text)
        except ValueError as err:
            raise gr.Error(str(err)) from None

    return gr.Interface(
        fn=predict,
        inputs=gr.Textbox(label=f"{cfg.length} numbers from 0 to {cfg.n_symbols - 1}", value="3 1 4 1 5 2"),
        outputs=gr.Textbox(label="the Transformer's copy"),
        title="Transformer copy task",
        description=(
            f"An encoder-decoder Transformer from paper2code, trained for {train_steps} steps "
            f"at start-up; it copies {score:.0%} of random test sequences exactly."
        ),
        flagging_mode="never",
    )
# --8<-- [end:build]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the copy-task demo.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--steps", type=int, default=500, help="training steps at start-up")
    parser.add_argument("--share", action="store_true", help="also create a public gradio.live link")
    args = parser.parse_args(argv)
    build_demo(args.steps).launch(server_name=args.host, server_port=args.port, share=args.share)
    return 0


if __name__ == "__main__":
    sys.exit(main())
