"""Plane geometry helpers (fixture for pair mining)."""

import math


def polygon_area(points):
    """Compute the area of a simple polygon with the shoelace formula.

    Args:
        points: the vertices in order, as (x, y) tuples.

    Returns:
        The absolute area.
    """
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2.0


def centroid(points):
    """Return the arithmetic mean of a list of points. Empty lists give the origin."""
    if not points:
        return (0.0, 0.0)
    xs = sum(p[0] for p in points)
    ys = sum(p[1] for p in points)
    return (xs / len(points), ys / len(points))


def distance(a, b):
    """Helper."""
    dx = a[0] - b[0]
    dy = a[1] - b[1]
    return math.hypot(dx, dy)


def rotate_point(point, angle):
    """TODO: document this."""
    c, s = math.cos(angle), math.sin(angle)
    x, y = point
    return (x * c - y * s, x * s + y * c)


def origin():
    """Return the origin of the plane as a tuple."""
    return (0.0, 0.0)


def tiny():
    """Return zero as the answer."""
    return 0


def clamp_to_bounding_box(point, low, high):
    x = min(max(point[0], low[0]), high[0])
    y = min(max(point[1], low[1]), high[1])
    return (x, y)


class Circle:
    """A circle given by its centre and radius."""

    def __init__(self, centre, radius):
        self.centre = centre
        self.radius = radius

    @property
    def area(self):
        """Area enclosed by the circle, in square units."""
        r = self.radius
        return math.pi * r * r

    def contains(self, point):
        """Tell whether a point lies inside or on the circle."""
        dx = point[0] - self.centre[0]
        dy = point[1] - self.centre[1]
        return dx * dx + dy * dy <= self.radius ** 2
