import json


def load_settings_file(path):
    with open(path) as handle:
        settings = json.load(handle)
    return settings


def save_settings_file(path, settings):
    with open(path, "w") as handle:
        json.dump(settings, handle, indent=2)


def merge_settings(defaults, overrides):
    merged = dict(defaults)
    merged.update(overrides)
    return merged
