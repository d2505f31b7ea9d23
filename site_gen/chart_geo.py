"""Where places fall on the map, worked out before drawing: the map's height and its labels.

Vega fits the projection to the places' extent; doing the same arithmetic here lets the map
take the height its extent needs and name only the places whose labels do not collide.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

MIN_HEIGHT, MAX_HEIGHT = 140, 480
CHAR_WIDTH, LABEL_HEIGHT, LABEL_DX, DOT = 6.2, 14.0, 7.0, 5.0  # 11px sans-serif, in pixels

Box = tuple[float, float, float, float]  # left, top, right, bottom


def extent(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The bounding box of (lon, lat) points with a margin, as corners and edge middles."""
    lons, lats = zip(*points, strict=True)
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    pad_x = max(2.0, (east - west) * 0.1)
    pad_y = max(1.5, (north - south) * 0.1)
    west, east = max(-180.0, west - pad_x), min(180.0, east + pad_x)
    south, north = max(-85.0, south - pad_y), min(85.0, north + pad_y)
    middle = (west + east) / 2
    return [(round(x, 4), round(y, 4)) for x in (west, middle, east) for y in (south, north)]


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """The Equal Earth projection (Šavrič et al. 2018) on the unit sphere, y pointing north."""
    a1, a2, a3, a4, m = 1.340264, -0.081106, 0.000893, 0.003796, math.sqrt(3) / 2
    theta = math.asin(m * math.sin(math.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = math.radians(lon) * math.cos(theta) / (m * (a1 + 3 * a2 * t2 + t6 * (7 * a3 + 9 * a4 * t2)))
    return x, theta * (a1 + a2 * t2 + t6 * (a3 + a4 * t2))


@dataclass(frozen=True)
class Frame:
    """The projection fitted to an extent in a view `width` wide, as Vega's fitSize does it."""

    width: int
    height: int
    scale: float
    centre: tuple[float, float]

    @classmethod
    def fit(cls, corners: list[tuple[float, float]], width: int) -> Frame:
        xs, ys = zip(*(equal_earth(lon, lat) for lon, lat in corners), strict=True)
        span_x, span_y = max(max(xs) - min(xs), 1e-9), max(max(ys) - min(ys), 1e-9)
        height = int(min(MAX_HEIGHT, max(MIN_HEIGHT, width * span_y / span_x)))
        scale = min(width / span_x, height / span_y)
        return cls(width, height, scale, ((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2))

    def pixel(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = equal_earth(lon, lat)
        return (self.width / 2 + (x - self.centre[0]) * self.scale,
                self.height / 2 - (y - self.centre[1]) * self.scale)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def spaced_labels(places: list[tuple[str, str, float, float]], frame: Frame) -> dict[str, str]:
    """Which side ("right" or "left") to name each place on, in the given order of priority,
    so that no name covers another name or a place's dot; places left out get no name.
    `places` holds (id, name, lon, lat)."""
    dots = {pid: frame.pixel(lon, lat) for pid, _, lon, lat in places}
    taken: list[Box] = []
    sides: dict[str, str] = {}
    for pid, name, _, _ in places:
        x, y = dots[pid]
        width = CHAR_WIDTH * len(name)
        top, bottom = y - LABEL_HEIGHT / 2, y + LABEL_HEIGHT / 2
        for side, box in (("right", (x + LABEL_DX - 1, top, x + LABEL_DX + width, bottom)),
                          ("left", (x - LABEL_DX - width, top, x - LABEL_DX + 1, bottom))):
            if any(_overlaps(box, other) for other in taken):
                continue
            if any(_overlaps(box, (dx - DOT, dy - DOT, dx + DOT, dy + DOT))
                   for other, (dx, dy) in dots.items() if other != pid):
                continue
            taken.append(box)
            sides[pid] = side
            break
    return sides
