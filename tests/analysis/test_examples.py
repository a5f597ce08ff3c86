"""Smoke test: the fastest analysis examples run end to end with --quick settings."""
import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ["analysis_gradcheck", "analysis_optimizers"])
def test_example_quick(name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mod = _load(name)
    if name == "analysis_gradcheck":
        mod.main(quick=True)
    else:
        mod.main(quick=True, out=str(tmp_path))
    text = capsys.readouterr().out
    if name == "analysis_gradcheck":
        assert text.count("verdict: PASSED") == 2 and text.count("verdict: FAILED") == 1
    else:
        assert "condition number 20" in text and "Adam" in text
        assert (tmp_path / "optimizers_ill_conditioned.png").exists()
