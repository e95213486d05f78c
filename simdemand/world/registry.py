"""The model registry: every model released during a run, and who listens for releases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelRecord:
    """A released model: its size, its training and where it came from."""

    model_id: str
    lab: str
    released_h: float
    params: float
    active_params: float
    tokens: float
    training_flop: float
    open_weights: bool
    parent_id: str | None
    hardware: str
    gpu_hours: float
    predicted_loss: float
    technique: str


Listener = Callable[[ModelRecord], None]


class Registry:
    """Holds released models in release order and tells listeners of each release."""

    def __init__(self) -> None:
        self.models: list[ModelRecord] = []
        self.by_id: dict[str, ModelRecord] = {}
        self.listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` with every model released from now on."""
        self.listeners.append(listener)

    def release(self, model: ModelRecord) -> None:
        """Add a model and tell every listener."""
        if model.model_id in self.by_id:
            raise ValueError(f"model id '{model.model_id}' released twice")
        self.models.append(model)
        self.by_id[model.model_id] = model
        for listener in self.listeners:
            listener(model)
