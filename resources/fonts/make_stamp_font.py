"""Writes DejaVuSansCondensed-Stamp.ttf (named "SegDesk Stamp Sans"): DejaVu Sans Condensed
rescaled to 1000 units per em.

pyHanko (0.38) draws the visible signature block with glyph widths taken in the font's own units
but spaced as if there were 1000 per em; DejaVu has 2048, which spreads the letters apart. The
same font at 1000 units per em draws correctly. Run once with the project's venv:
    .venv/bin/python resources/fonts/make_stamp_font.py
"""

from pathlib import Path

from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem

here = Path(__file__).resolve().parent
font = TTFont(here / "DejaVuSansCondensed.ttf")
scale_upem(font, 1000)
# A modified font carries a new name (the Bitstream Vera licence asks for it; see LICENSE-DejaVu.txt).
names = font["name"]
for record in list(names.names):
    if record.nameID in (1, 4, 16):
        record.string = "SegDesk Stamp Sans"
    elif record.nameID == 6:
        record.string = "SegDeskStampSans"
    elif record.nameID == 3:
        record.string = "SegDesk Stamp Sans (DejaVu Sans Condensed at 1000 units per em)"
font.save(here / "DejaVuSansCondensed-Stamp.ttf")
