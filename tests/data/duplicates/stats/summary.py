"""Summary statistics: same topic, different code. Not copies of each other."""


def mean_of(values):
    if not values:
        raise ValueError("mean of an empty list")
    total = 0.0
    for value in values:
        total += value
    return total / len(values)


def median_of(values):
    if not values:
        raise ValueError("median of an empty list")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def variance_of(values):
    if len(values) < 2:
        raise ValueError("variance needs at least two values")
    centre = mean_of(values)
    squares = [(value - centre) ** 2 for value in values]
    return sum(squares) / (len(values) - 1)
