"""Drug monographs in which every statement cites its source.

    from medref.monograph import build_monograph
    m = build_monograph("belatacept", store=store, retriever=retriever, lexicon=lexicon)

See :mod:`medref.monograph.builder` for the steps and :mod:`medref.monograph.fields` for the page.
"""

from __future__ import annotations

from medref.monograph.builder import DISCLAIMER, build_monograph

__all__ = ["DISCLAIMER", "build_monograph"]
