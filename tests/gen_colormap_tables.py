#!/usr/bin/env python3
"""Writes src/figure/listed.rs: the colour maps heatscope stores as tables.

    pip install matplotlib seaborn
    python3 tests/gen_colormap_tables.py && cargo fmt

Two kinds of table, both read from the installed packages (their versions
go into the doc comments):

- LISTED: maps that matplotlib or seaborn themselves define by a list of
  colours (ListedColormap), as the 256 colours of `cmap.resampled(256)`
  (twilight lists 510; matplotlib's resampling picks 256 of them).
- ANCHORED: maps that matplotlib builds by linear interpolation between
  colours at equal steps (LinearSegmentedColormap whose red, green and blue
  segments share the same equally spaced x), as those anchor colours.

Entries are 0xrrggbb, each channel round(255 · value). tests/colormaps.rs
checks the maps built from them against matplotlib's own tables, written
independently by tests/gen_colormap_fixtures.py.
"""

import os

import matplotlib
import numpy as np
import seaborn

# name, source, reference
LISTED = [
    ("cividis", "matplotlib", "Nuñez, Anderton and Renslow, PLOS ONE 2018"),
    ("turbo", "matplotlib", "Google, Apache License 2.0"),
    ("twilight", "matplotlib", "Bastian Bechtold, MIT License; cyclic"),
    ("rocket", "seaborn", "seaborn's perceptually uniform sequential map"),
    ("mako", "seaborn", "seaborn's perceptually uniform sequential map"),
    ("flare", "seaborn", "seaborn's perceptually uniform sequential map"),
    ("crest", "seaborn", "seaborn's perceptually uniform sequential map"),
    ("vlag", "seaborn", "seaborn's diverging map"),
    ("icefire", "seaborn", "seaborn's diverging map"),
]
ANCHORED = [
    ("coolwarm", "Kenneth Moreland's smooth diverging map"),
    ("bwr", "blue, white, red"),
    ("seismic", "dark blue, blue, white, red, dark red"),
    ("gray", "black to white"),
]


def hex_of(rgb) -> str:
    r, g, b = (int(np.floor(255 * c + 0.5)) for c in rgb[:3])
    return f"0x{r:02x}{g:02x}{b:02x}"


def rows(entries: list) -> str:
    lines = []
    for i in range(0, len(entries), 8):
        lines.append("    " + ", ".join(entries[i:i + 8]) + ",")
    return "\n".join(lines)


def anchors(name: str) -> list:
    """The colours at equal steps that matplotlib interpolates between."""
    data = matplotlib.colormaps[name]._segmentdata
    channels = [np.asarray(data[c], dtype=float) for c in ("red", "green", "blue")]
    x = channels[0][:, 0]
    steps = np.linspace(0.0, 1.0, len(x))
    for segment in channels:
        # One value at each x (no jumps), the same x for every channel, equal steps.
        assert np.array_equal(segment[:, 0], x) and np.array_equal(segment[:, 1], segment[:, 2]), name
        assert np.allclose(x, steps), name
    return [hex_of(colour) for colour in np.stack([c[:, 1] for c in channels], axis=1)]


def main() -> None:
    versions = {"matplotlib": matplotlib.__version__, "seaborn": seaborn.__version__}
    out = [
        "//! Colour maps stored as tables: 256 listed colours, or the anchor colours",
        "//! matplotlib interpolates between. Written by tests/gen_colormap_tables.py",
        f"//! from matplotlib {versions['matplotlib']} and seaborn {versions['seaborn']}; do not edit by hand.",
        "",
        "/// Colour maps defined by a table of 256 colours: each one's entries.",
        "pub(super) const LISTED: &[(&str, &[u32; 256])] = &[",
    ]
    out += [f'    ("{name}", &{name.upper()}),' for name, _, _ in LISTED]
    out += [
        "];",
        "",
        "/// Colour maps matplotlib builds by linear interpolation between colours at",
        "/// equal steps: each one's colours.",
        "pub(super) const ANCHORED: &[(&str, &[u32])] = &[",
    ]
    out += [f'    ("{name}", &{name.upper()}),' for name, _ in ANCHORED]
    out.append("];")
    for name, source, reference in LISTED:
        # matplotlib's own 256-entry version (for twilight, its 510 colours resampled).
        cmap = matplotlib.colormaps[name].resampled(256)
        table = [hex_of(c) for c in cmap(np.arange(256) / 255.0)]
        out += [
            "",
            f"/// {name} ({reference}), as {source} {versions[source]} lists it.",
            "#[rustfmt::skip]",
            f"const {name.upper()}: [u32; 256] = [",
            rows(table),
            "];",
        ]
    for name, description in ANCHORED:
        colours = anchors(name)
        out += [
            "",
            f"/// {name} ({description}): matplotlib {versions['matplotlib']}'s {len(colours)} colours at equal steps.",
            "#[rustfmt::skip]",
            f"const {name.upper()}: [u32; {len(colours)}] = [",
            rows(colours),
            "];",
        ]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "src", "figure", "listed.rs"), "w") as file:
        file.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
