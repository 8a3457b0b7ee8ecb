def ignored_function_with_doc(values):
    """This file is gitignored, so its pairs never appear."""
    out = []
    for v in values:
        out.append(v * 2)
    return out
