"""Hyperparameter descriptions: kind, range, default, log scale; validation and sampling.

A :class:`Param` drives one slider in the Model lab, the ``--params`` JSON of the CLI and the
auto-tune search space. Values from a URL, a JSON string or a tuner all pass ``Param.validate``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Kind = Literal["int", "float", "choice"]
N_LOG_TICKS = 25


class ParamError(ValueError):
    """One or more hyperparameter values are unusable; ``problems`` lists each, readably."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Param:
    """One hyperparameter: name, label, kind, default, range (or choices) and scale."""

    name: str
    label: str
    kind: Kind
    default: Any
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[str, ...] = ()
    applies_to: str = "both"  # "both" | "regression" | "classification"
    help: str = ""

    def validate(self, value: Any) -> Any:
        """The value coerced to the param's kind, or ``ValueError`` saying what is allowed."""
        if self.kind == "choice":
            text = str(value)
            if text not in self.choices:
                raise ValueError(f"{self.label} must be one of {list(self.choices)}, got {value!r}")
            return text
        if isinstance(value, bool):
            raise ValueError(f"{self.label} must be a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.label} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"{self.label} must be a finite number, got {value!r}")
        if self.kind == "int":
            if number != int(number):
                raise ValueError(f"{self.label} must be a whole number, got {value!r}")
            number = int(number)
        assert self.low is not None and self.high is not None
        if not self.low <= number <= self.high:
            raise ValueError(
                f"{self.label} must be between {_fmt(self.low)} and {_fmt(self.high)}, "
                f"got {_fmt(number)}"
            )
        return number

    def ticks(self) -> list[Any]:
        """Slider positions: every value for linear ints, a geometric grid for log scales."""
        if self.kind == "choice":
            return list(self.choices)
        assert self.low is not None and self.high is not None
        if self.log:
            grid = np.geomspace(self.low, self.high, N_LOG_TICKS)
            values = sorted({_round(v, self.kind) for v in grid} | {self.default})
            return values
        step = self.step or (1 if self.kind == "int" else (self.high - self.low) / 20)
        count = int(round((self.high - self.low) / step))
        values = {_round(self.low + i * step, self.kind) for i in range(count + 1)}
        return sorted(values | {self.default})

    def sample(self, rng: np.random.Generator) -> Any:
        """A random value from the slider grid (so tuned values map onto the sliders)."""
        options = self.ticks()
        return options[int(rng.integers(0, len(options)))]

    def snap(self, value: Any) -> Any:
        """The slider position nearest to a valid value (log-distance on log scales)."""
        options = self.ticks()
        if self.kind == "choice" or value in options:
            return value
        key = (
            (lambda v: abs(math.log(v) - math.log(value)))
            if self.log
            else (lambda v: abs(v - value))
        )
        return min(options, key=key)


def _round(value: float, kind: Kind) -> Any:
    if kind == "int":
        return int(round(value))
    return float(f"{value:.3g}")


def _fmt(value: float) -> str:
    return f"{value:g}"


def validate_params(space: Iterable[Param], params: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with validated ``params``.

    Parameters
    ----------
    space : iterable of Param
        The model's hyperparameters for the task.
    params : dict
        User values by name (unknown names are an error, so typos are not silently ignored).

    Returns
    -------
    dict
        A complete, valid parameter dict.

    Raises
    ------
    ParamError
        Listing every unusable value.
    """
    space = list(space)
    by_name = {p.name: p for p in space}
    if not isinstance(params, dict):
        raise ParamError([f"Hyperparameters must be a JSON object, got {type(params).__name__}"])
    problems = [
        f"Unknown hyperparameter {name!r} (this model takes {sorted(by_name) or 'none'})"
        for name in params
        if name not in by_name
    ]
    out = {p.name: p.default for p in space}
    for name, value in params.items():
        if name in by_name:
            try:
                out[name] = by_name[name].validate(value)
            except ValueError as exc:
                problems.append(str(exc))
    if problems:
        raise ParamError(problems)
    return out
