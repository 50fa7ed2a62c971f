"""Paper reproductions: one function per table or figure, each one CLI command.

``isactoolbox reproduce NAME [--out DIR] [--full] [--backend B] [--set key=value] [--pdf]``
runs the function registered under NAME in :data:`REPRODUCTIONS`. Every reproduction writes its
figure's data as CSV beside the PNG (and a PDF on request), and returns a
:class:`~isactoolbox.reproductions.output.ReproductionReport`. Defaults are sized for minutes on
two cores; ``full=True`` runs the paper's size.

The table maps names to ``"module:function"`` strings so listing the reproductions imports
nothing heavy; :func:`load` imports one on demand.
"""
from __future__ import annotations

import importlib
from typing import Callable

from isactoolbox.errors import UnknownPluginError

#: name -> "module:function"; each function is ``f(out_dir, *, full=False, backend=None, pdf=False, **options)``
REPRODUCTIONS: dict[str, str] = {
    # paper 000, network ISAC
    "network-isac-table2": "isactoolbox.reproductions.network_isac_figures:table2",
    "network-isac-fig3": "isactoolbox.reproductions.network_isac_figures:fig3",
    "network-isac-fig4": "isactoolbox.reproductions.network_isac_figures:fig4",
    # paper 003, ISAL networks
    "isal-fig9": "isactoolbox.reproductions.isal_figures:fig9",
    "isal-fig10": "isactoolbox.reproductions.isal_figures:fig10",
    "isal-fig11": "isactoolbox.reproductions.isal_figures:fig11",
    "isal-fig12": "isactoolbox.reproductions.isal_figures:fig12",
    "isal-fig13": "isactoolbox.reproductions.isal_figures:fig13",
    # paper 004, bistatic positioning and monostatic sensing
    "bpms-fig2": "isactoolbox.reproductions.bpms_figures:fig2",
    "bpms-fig3": "isactoolbox.reproductions.bpms_figures:fig3",
}


def load(name: str) -> Callable[..., object]:
    """The reproduction function registered under ``name``."""
    if name not in REPRODUCTIONS:
        raise UnknownPluginError("reproduction", name, list(REPRODUCTIONS))
    module, _, func = REPRODUCTIONS[name].partition(":")
    return getattr(importlib.import_module(module), func)
