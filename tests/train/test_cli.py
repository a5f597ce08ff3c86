"""The danlu command end to end in a temporary folder: help, bad flags, a short train, eval, resume,
diagnose, cv and search."""
import json
import os
import subprocess
import sys

import pytest

from danlu.cli import main

TINY = ["--limit", "300", "--limit-test", "200", "--batch-size", "64", "--model", "mlp", "--widths", "32"]


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("train", "eval", "cv", "search", "diagnose"):
        assert cmd in out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--resume" in out and "--lr" in out and "bundled Fashion-MNIST" in out
    assert main([]) == 2


@pytest.mark.parametrize("argv, msg", [
    (["train", "--epochs", "zero"], "argument --epochs: expected a positive integer"),
    (["train", "--optimizer", "bogus"], "argument --optimizer: invalid choice"),
    (["train", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_flags_give_one_line(argv, msg, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1


def test_runtime_errors_are_one_line(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("danlu eval: error:") and "not a run folder" in err and len(err.splitlines()) == 1
    assert main(["diagnose"]) == 1
    assert "--train-error" in capsys.readouterr().err
    assert main(["train", "--dataset", "imagenet", "--out", str(tmp_path)]) == 1
    assert "unknown dataset 'imagenet'" in capsys.readouterr().err


def test_train_eval_resume_diagnose(tmp_path, capsys):
    out = str(tmp_path)
    assert main(["train", *TINY, "--epochs", "1", "--schedule", "none", "--out", out, "--name", "r",
                 "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed
    run = os.path.join(out, "r")
    files = set(os.listdir(run))
    assert {"config.json", "metrics.csv", "metrics.json", "results.json", "checkpoints"} <= files
    pytest.importorskip("matplotlib")
    assert "curves.png" in files and os.path.getsize(os.path.join(run, "curves.png")) > 1000
    res = json.load(open(os.path.join(run, "results.json")))
    assert 0.3 < res["test_accuracy"] <= 1 and res["epochs_done"] == 1
    # eval reproduces the run's test accuracy from the checkpoint
    assert main(["eval", run, "--confusion"]) == 0
    ev = capsys.readouterr().out
    assert f"accuracy {res['test_accuracy']:.4f}" in ev and "confusion matrix" in ev
    # resume to 2 epochs in total
    assert main(["train", "--resume", run, "--epochs", "2", "--no-progress", "--quiet", "--no-plot"]) == 0
    capsys.readouterr()
    hist = json.load(open(os.path.join(run, "metrics.json")))["rows"]
    assert [r["epoch"] for r in hist] == [1, 2]
    # a schedule planned for the run's length cannot be stretched by --resume
    assert main(["train", *TINY, "--epochs", "1", "--out", out, "--name", "oc", "--quiet", "--no-plot"]) == 0
    assert main(["train", "--resume", os.path.join(out, "oc"), "--epochs", "3"]) == 1
    assert "onecycle schedule was planned for 1 epochs" in capsys.readouterr().err
    assert main(["diagnose", run, "--human-error", "0.05"]) == 0
    d = capsys.readouterr().out
    assert "verdict:" in d and "next:" in d
    assert main(["diagnose", "--train-error", "8%", "--dev-error", "10%", "--human-error", "1%"]) == 0
    assert "avoidable bias is the dominant problem" in capsys.readouterr().out
    assert main(["diagnose", "--validation-curve", "widths=2,32", *TINY[:4], "--model", "mlp", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "widths=2:" in out and "verdict: best value" in out


def test_cv_and_search(tmp_path, capsys):
    assert main(["cv", *TINY, "--folds", "2", "--epochs", "1", "--limit", "200"]) == 0
    out = capsys.readouterr().out
    assert "fold 2/2" in out and "mean±std" in out and "validation accuracy" in out
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"lr": {"type": "loguniform", "low": 1e-3, "high": 1e-2}, "batch_size": [32, 64]}))
    assert main(["search", str(space), *TINY, "--epochs", "1", "--trials", "2", "--parallel", "2",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "best:" in out and "val_accuracy" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"colour": ["red"]}))
    assert main(["search", str(bad), "--out", str(tmp_path)]) == 1
    assert "cannot search over colour" in capsys.readouterr().err


def test_console_entry_point_runs():
    # python -m danlu is the same program as the 'danlu' console script
    r = subprocess.run([sys.executable, "-m", "danlu", "train", "--epochs", "-1"], capture_output=True, text=True)
    assert r.returncode == 2 and "expected a positive integer" in r.stderr and "Traceback" not in r.stderr


def test_paused_and_resumed_run_equals_uninterrupted(tmp_path, capsys):
    import numpy as np

    import danlu

    base = [*TINY, "--epochs", "2", "--out", str(tmp_path), "--quiet", "--no-plot", "--dropout", "0.3"]
    assert main(["train", *base, "--name", "full"]) == 0
    assert main(["train", *base, "--name", "part", "--stop-after", "1"]) == 0
    assert "paused after epoch 1 of 2" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "part"), "--quiet", "--no-plot"]) == 0
    a = danlu.load(str(tmp_path / "full" / "checkpoints" / "last.ckpt"))
    b = danlu.load(str(tmp_path / "part" / "checkpoints" / "last.ckpt"))
    assert int(a["epoch"]) == int(b["epoch"]) == 2
    for k in a["model"]:
        np.testing.assert_array_equal(a["model"][k].numpy(), b["model"][k].numpy())
    ra = json.load(open(tmp_path / "full" / "results.json"))
    rb = json.load(open(tmp_path / "part" / "results.json"))
    assert ra["test_loss"] == rb["test_loss"] and ra["test_accuracy"] == rb["test_accuracy"]



_FAULTS_SRC = """
import resource
import numpy as np
import danlu.cli
danlu.cli._keep_freed_buffers()
def step():  # a training step's worth of big temporaries: several sizes alive at once, then freed
    bufs = [np.ones(n << 20) for n in (1, 2, 3, 2)]
    return sum(float(b[0]) for b in bufs)
for _ in range(3):
    step()
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_cli_keeps_freed_buffers_for_reuse(monkeypatch):
    """In the command's process, steps that allocate and free the same big temporaries reuse the
    heap: no fresh pages (64 MB a step would be ~16,000 page faults)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", _FAULTS_SRC], env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout) < 200
    # a user's own MALLOC_* setting wins: the command leaves glibc alone
    import ctypes

    import danlu.cli as cli

    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    monkeypatch.setattr(ctypes, "CDLL", lambda *a, **k: pytest.fail("mallopt called"))
    cli._keep_freed_buffers()
