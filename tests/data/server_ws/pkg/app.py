from .store import load_settings_file, merge_settings
from .text import slugify_title


def build_page(path, title):
    settings = load_settings_file(path)
    slug = slugify_title(title)
    return {"slug": slug, "settings": settings}


def render_page(page):
    body = page["slug"]
    return body
