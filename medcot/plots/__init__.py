"""Figures: the dataset's make-up (for the card) and the charts of ``medcot report``.

Everything here needs the ``report`` extra (matplotlib, Jinja2) and a font with Chinese glyphs
(:mod:`medcot.plots.fonts`); importing this package alone imports neither.
"""
