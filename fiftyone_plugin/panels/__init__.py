"""FiftyOne panels: thin adapters over :mod:`fiftyone_plugin.api`."""
from .identities import IdentitiesPanel

PANELS = (IdentitiesPanel,)

__all__ = ["PANELS", "IdentitiesPanel"]
