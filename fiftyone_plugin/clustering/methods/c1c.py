"""C1C: FINCH that never merges tracks sharing a frame (cannot-links)."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from . import register_method
from .finch import Finch


@register_method
@dataclasses.dataclass
class C1C(Finch):
    name: ClassVar[str] = "c1c"
    label: ClassVar[str] = "C1C: FINCH with cannot-links (no K)"
    constrained: ClassVar[bool] = True
