def count_words(text, separator=None):
    words = text.split(separator)
    return len(words)


def count_lines_in_file(path):
    with open(path, encoding="utf-8") as handle:
        return sum(1 for _ in handle)


def histogram(values, bins):
    counts = [0] * bins
    low, high = min(values), max(values)
    width = (high - low) / bins or 1
    for value in values:
        counts[min(int((value - low) / width), bins - 1)] += 1
    return counts
