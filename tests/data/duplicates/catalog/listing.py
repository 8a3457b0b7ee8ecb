"""Listing catalog products page by page."""


def paginate_products(rows, page, per_page=20):
    if page < 1:
        raise ValueError("pages start at 1")
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    start = page * per_page
    end = min(start + per_page, len(rows))
    window = rows[start:end]
    has_next = end < len(rows)
    return {"rows": window, "page": page, "has_next": has_next}
