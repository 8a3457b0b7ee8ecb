"""The same function as in geometry.py, copied: mined once only."""


def polygon_area(points):
    """Compute the area of a simple polygon with the shoelace formula."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2.0


def perimeter(points):
    """Return the arithmetic mean of a list of points. Empty lists give the origin."""
    total = 0.0
    for a, b in zip(points, points[1:] + points[:1]):
        total += ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5
    return total
