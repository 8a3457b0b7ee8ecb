"""Paging through report rows."""


def paginate_rows(rows, page, per_page=20):
    if page < 1:
        raise ValueError("pages start at 1")
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    start = (page - 1) * per_page
    end = min(start + per_page, len(rows))
    window = rows[start:end]
    has_next = end < len(rows)
    return {"rows": window, "page": page, "has_next": has_next}
