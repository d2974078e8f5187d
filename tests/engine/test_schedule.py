"""τ trajectories: values, validation naming the field, JSON round trip."""
from __future__ import annotations

import json

import pytest

from engine.errors import ConfigError
from engine.em.schedule import (
    Constant, Exponential, Linear, Piecewise, Step, TRAJECTORIES, as_trajectory,
    trajectory_from_dict,
)


def test_values():
    assert Constant(-0.5).values(3) == [-0.5, -0.5, -0.5]
    assert Linear(0.0, -1.0, start=2, end=4).values(5) == [0.0, 0.0, -0.5, -1.0, -1.0]
    assert Step(2.0, on=2, off=4).values(5) == [0.0, 2.0, 2.0, 0.0, 0.0]
    assert Step(2.0, on=3).values(4) == [0.0, 0.0, 2.0, 2.0]
    assert Piecewise(((1, 0.0), (3, 1.0), (5, 0.0))).values(6) == [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    e = Exponential(-0.01, -1.0, start=1, end=3).values(4)
    assert e[0] == -0.01 and e[2] == -1.0 and e[3] == -1.0
    assert e[1] == pytest.approx(-0.1)


@pytest.mark.parametrize("traj", [
    Constant(1.5), Linear(0.0, -0.3, 3, 9), Exponential(0.1, 2.0, 2, 5), Step(-1.0, 2, 7),
    Step(3.0, 4), Piecewise(((1, 0.0), (4.5, -2.0), (10, 1.0))),
])
def test_json_round_trip(traj):
    data = json.loads(json.dumps(traj.to_dict()))
    back = trajectory_from_dict(data)
    assert back == traj
    assert back.values(12) == traj.values(12)


@pytest.mark.parametrize("make,field", [
    (lambda: Constant(float("nan")), "value"),
    (lambda: Constant("abc"), "value"),
    (lambda: Constant(1e40), "value"),
    (lambda: Linear(0, 1, start=5, end=2), "end"),
    (lambda: Linear(0, 1, start=0, end=2), "start"),
    (lambda: Linear(0, 1, start=1.5, end=2), "start"),
    (lambda: Exponential(0.0, 1.0), "a and b"),
    (lambda: Exponential(-1.0, 1.0), "a and b"),
    (lambda: Step(1.0, on=3, off=3), "off"),
    (lambda: Piecewise(()), "points"),
    (lambda: Piecewise(((2, 0.0), (1, 1.0))), "points"),
    (lambda: Piecewise(((1, "x"),)), "points[0].tau"),
    (lambda: trajectory_from_dict({"kind": "wiggle"}), "tau.kind"),
    (lambda: trajectory_from_dict({"kind": "step", "value": 1, "colour": 2}), "colour"),
])
def test_invalid_values_name_the_field(make, field):
    with pytest.raises(ConfigError, match=field.replace("[", r"\[").replace("]", r"\]")):
        make()


def test_numbers_become_constants_and_scaling():
    assert as_trajectory(0.25) == Constant(0.25)
    assert Linear(0.0, -1.0, 1, 3).scaled(2.0).values(3) == [0.0, -1.0, -2.0]
    assert set(TRAJECTORIES) == {"constant", "linear", "exponential", "step", "piecewise"}
