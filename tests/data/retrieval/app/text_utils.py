"""Small helpers for titles and sentences."""

import re


def slugify_title(title):
    lowered = title.strip().lower()
    return re.sub(r"[^a-z0-9]+", "-", lowered).strip("-")


def count_words(text):
    words = text.split()
    return len(words)


def reverse_words(sentence):
    parts = sentence.split(" ")
    return " ".join(reversed(parts))


class Paragraph:
    def __init__(self, body):
        self.body = body

    def sentence_count(self):
        return self.body.count(".") + self.body.count("!") + self.body.count("?")
