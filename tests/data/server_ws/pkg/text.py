import re


def slugify_title(title):
    cleaned = re.sub(r"[^a-z0-9]+", "-", title.lower())
    return cleaned.strip("-")


def count_words(text):
    words = text.split()
    return len(words)


class TemperatureConverter:
    def __init__(self, scale):
        self.scale = scale

    def celsius_to_fahrenheit(self, celsius):
        return celsius * 9 / 5 + 32

    def fahrenheit_to_celsius(self, fahrenheit):
        return (fahrenheit - 32) * 5 / 9
