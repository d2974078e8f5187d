"""Huge, infinite and not-a-number values in every numeric CLI flag and config field (issue 16).

The flags are enumerated from the parser itself (every command, including those families
register), so a flag added later is covered without editing this file. Config fields come from
``ModelConfig().to_dict()``. Each refusal is one line naming the flag or field, a non-zero exit and
an unchanged workspace (``refuse`` of the bad-input catalogue).
"""
from __future__ import annotations

import argparse
import json

import pytest

from engine.cli import build_parser
from engine.em.config import ModelConfig
from test_bad_inputs import refuse, ws  # noqa: F401 - ws is a fixture

import badinputs as B

HOSTILE_NUMBERS = ["1e400", "nan", "inf", "-inf", str(10 ** 30), "-" + str(10 ** 30), "1e16", "12abc", "0x10"]


def numeric_flags() -> list[tuple[str, str]]:
    """(command, flag) of every option with a type (all are numeric) of every command."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = []
    for name, p in sub.choices.items():
        for a in p._actions:
            if a.option_strings and a.type is not None:
                out.append((name, a.option_strings[0]))
    return out


FLAGS = numeric_flags()


def test_every_numeric_flag_is_covered():
    assert len(FLAGS) >= 50
    assert ("train", "--iterations") in FLAGS and ("sweep", "--workers") in FLAGS


@pytest.mark.parametrize("command,flag", FLAGS, ids=[f"{c} {f}" for c, f in FLAGS])
def test_numeric_flag_refuses_hostile_numbers(capsys, command, flag):
    parser = build_parser()
    for value in HOSTILE_NUMBERS:
        with pytest.raises(SystemExit) as e:
            parser.parse_args([command, f"{flag}={value}"])
        err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert e.value.code == 2 and len(err) == 1, (value, err)
        assert flag in err[0] and "Traceback" not in err[0], err[0]


def _config_cases():
    base = ModelConfig().to_dict()
    cases = []
    for key, value in base.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        for bad in ("1e308", str(10 ** 30), "-1e308", "NaN", "Infinity", "2.5", '"7"', "true", "[1]"):
            cases.append((f"{key}={bad}", '{"%s": %s}' % (key, bad), key))
    for bad in ("1e308", "-1", "NaN", "Infinity", '"x"'):
        cases.append((f"modality_weights={bad}", '{"modality_weights": {"@default_class": %s}}' % bad,
                      r"modality_weights|weight"))
    for bad in ("NaN", "Infinity", "-Infinity", '"x"', "[1]"):
        cases.append((f"tau={bad}", '{"regularizers": [{"kind": "SmoothSparsePhi", "tau": %s}]}' % bad, r"tau"))
    return cases


CONFIG_CASES = _config_cases()


@pytest.mark.parametrize("case,text,pattern", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_config_field_refuses_hostile_numbers(tmp_path, ws, capsys, case, text, pattern):  # noqa: F811
    path = B.write(tmp_path / "config.json", text)
    refuse(capsys, ws, ["train", "--corpus", "keep", "--config", str(path)], pattern)


def test_catalogue_of_numbers_size():
    assert len(FLAGS) * len(HOSTILE_NUMBERS) + len(CONFIG_CASES) >= 500
    json.dumps(CONFIG_CASES)
