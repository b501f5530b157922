"""Figures of the Case studies: recorded runs (and two quick computations) of the case studies."""

from __future__ import annotations

from paper2code.figures import load, pyplot

__all__ = [
    "adam_digits", "bias_correction", "bias_correction_data", "ddpm_samples", "grokking",
    "ppo_cartpole", "resnet_degradation", "transformer_schedule", "transformer_schedule_data",
]


def transformer_schedule_data() -> dict:
    """Eq. (3) of the Transformer for d_model 512 and 1024, every 50th step."""
    from paper2code.case_studies.attention_is_all_you_need import schedule

    out = {}
    for d in (512, 1024):
        steps, lrs = schedule(20_000, d_model=d)
        out[f"d{d}"] = {"step": steps[::50], "lr": lrs[::50]}
    return out


def transformer_schedule():
    plt = pyplot()
    data = load("transformer_schedule")
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for key, label in (("d512", "base, d_model = 512"), ("d1024", "big, d_model = 1024")):
        ax.plot(data[key]["step"], data[key]["lr"], label=label)
    ax.axvline(4000, color="grey", linestyle=":", label="warmup_steps = 4000")
    ax.set(xlabel="step", ylabel="learning rate", title="Transformer learning rate, Eq. (3)")
    ax.legend()
    fig.tight_layout()
    return fig


def bias_correction_data() -> dict:
    from paper2code.case_studies.adam import bias_correction_data as compute

    return compute()


def bias_correction():
    plt = pyplot()
    d = load("bias_correction")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.2))
    ax1.plot(d["t"], d["g"], ".", color="grey", label="gradient g_t")
    ax1.plot(d["t"], d["m"], label="m_t (biased towards 0)")
    ax1.plot(d["t"], d["m_hat"], label="m̂_t = m_t / (1 − β1^t)")
    ax1.set(xlabel="step t", title="First moment, β1 = 0.9")
    ax1.legend(fontsize=8)
    ax2.plot(d["t"], d["v_sqrt"], label="√v_t")
    ax2.plot(d["t"], d["v_hat_sqrt"], label="√v̂_t")
    ax2.set(xlabel="step t", title="Second moment, β2 = 0.999")
    ax2.legend(fontsize=8)
    fig.suptitle("Adam's bias correction over the first steps")
    fig.tight_layout()
    return fig


def adam_digits():
    plt = pyplot()
    d = load("adam_digits")
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=False)
    for ax, kind in zip(axes, ("logistic regression", "MLP"), strict=True):
        for opt in ("Adam", "SGD+Nesterov"):
            run = d["runs"][f"{kind} / {opt}"]
            ax.semilogy(range(1, len(run["loss"]) + 1), run["loss"], label=f"{opt} (lr {run['lr']:g})")
        ax.set(xlabel="epoch", ylabel="training loss", title=f"Digits, {kind}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def grokking():
    plt = pyplot()
    d = load("grokking")
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True)
    for ax, run in zip(axes, d.values(), strict=True):
        ax.semilogx(run["step"], run["train_acc"], label="train")
        ax.semilogx(run["step"], run["val_acc"], label="validation")
        ax.set(xlabel="step", title=f"weight decay {run['config']['weight_decay']:g}")
        ax.legend()  # the default size: legible in the page column
    axes[0].set_ylabel("accuracy")
    fig.suptitle("Grokking on a + b mod 97")
    fig.tight_layout()
    return fig


def ddpm_samples():
    """Seed 0 of the recorded DDPM run: samples beside the data and baselines."""
    plt = pyplot()
    d = load("ddpm")
    run = d["runs"]["0"]
    names = ["data (second draw)", "Gaussian fit", "untrained", "σ²=β", "σ²=β̃"]
    fig, axes = plt.subplots(2, 3, figsize=(9, 6))
    for ax, name in zip(axes.flat, names, strict=False):
        pts = run["points"][name]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=3, alpha=0.5)
        m = run["metrics"][name]
        ax.set(title=f"{name}\nMMD² {m['mmd2']:.4f}, in mode {m['in_mode']:.2f}")
        if name != "untrained":  # the untrained chain drifts far off: own axes
            ax.set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), aspect="equal")
        ax.tick_params(labelsize=7)
    ax = axes.flat[-1]
    steps = [d["config"]["log_every"] * (i + 1) for i in range(len(run["losses"]))]
    ax.plot(steps, run["losses"])
    ax.set(xlabel="step", ylabel="L_simple (window mean)", title="training loss")
    fig.suptitle("DDPM on a ring of 8 Gaussians: 500 of 2,000 points each")
    fig.tight_layout()
    return fig


def ppo_cartpole():
    """Mean return over 100 evaluation episodes against environment steps, per seed."""
    plt = pyplot()
    runs = load("ppo_cartpole")["runs"]
    methods = {"ppo": "PPO, clip 0.2", "ppo_noclip": "PPO, no clip", "ppo_kl": "PPO, adaptive KL",
               "reinforce_baseline": "REINFORCE + baseline", "reinforce": "REINFORCE"}
    fig, axes = plt.subplots(1, 5, figsize=(13, 3.2), sharex=True, sharey=True)
    for ax, (method, title) in zip(axes, methods.items(), strict=True):
        for name, run in runs.items():
            if name.split("/")[0] == method:
                ax.plot(run["eval_steps"], run["eval_return"], label=name.split("/")[1])
        ax.axhline(475, color="gray", linestyle="--", linewidth=1)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:.0f}k")
        ax.set(xlabel="environment steps", title=title)
    axes[0].legend(fontsize=6, loc="lower right", ncols=2)
    axes[0].set_ylabel("mean return, 100 episodes")
    fig.suptitle("CartPole-v1: Table 1's three PPO arms and vanilla policy gradient, one line "
                 "per seed (dashed: 475, solved)")
    fig.tight_layout()
    return fig


def resnet_degradation():
    """Training error of plain and residual nets at two depths, over seeds."""
    plt = pyplot()
    d = load("resnet_degradation")
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True)
    for ax, kind in zip(axes, ("plain", "residual"), strict=True):
        for (name, runs), colour in zip(
            ((k, v) for k, v in d["runs"].items() if k.startswith(kind)),
            ("tab:blue", "tab:red"), strict=True,
        ):
            curves = list(runs.values())
            steps = curves[0]["step"]
            by_step = list(zip(*(c["train_error"] for c in curves), strict=True))
            mean = [sum(v) / len(v) for v in by_step]
            ax.plot(steps, mean, color=colour, label=f"{name} (mean of {len(curves)})")
            ax.fill_between(steps, [min(v) for v in by_step], [max(v) for v in by_step],
                            color=colour, alpha=0.2, linewidth=0)
        ax.set(xlabel="SGD step", title=f"{kind} nets", ylim=(0, None))
        ax.legend(fontsize=8)
    axes[0].set_ylabel("training error (band: min–max)")
    fig.suptitle("Digits: the deeper plain net trains worse; the deeper residual net trains about as well, not better")
    fig.tight_layout()
    return fig
