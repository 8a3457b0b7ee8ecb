import json
import time


def unique_in_order(seq):
    seen = set()
    out = []
    for item in seq:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def parse_iso_date(text):
    year, month, day = text.split("-")
    return int(year), int(month), int(day)


def retry(fn, attempts=5, delay=0.5):
    for attempt in range(attempts):
        try:
            return fn()
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(delay * 2 ** attempt)


def batched(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def flatten(nested):
    out = []
    for element in nested:
        if isinstance(element, list):
            out.extend(flatten(element))
        else:
            out.append(element)
    return out


def load_settings(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
