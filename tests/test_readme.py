"""Every Python block of README.md runs, in order, in one namespace (the tour stays true)."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_python_blocks_run(tmp_path, monkeypatch, capsys):
    src = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"```python\n(.*?)```", src, re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)  # the tour writes checkpoints and a run folder
    ns: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"README.md python block {i}", "exec"), ns)
    out = capsys.readouterr().out
    assert "critical-point report" in out
