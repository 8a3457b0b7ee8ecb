"""Checks on user records before they are saved."""

import re

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


def validate_user_record(record):
    problems = []
    username = record.get("username", "").strip()
    if not username:
        problems.append("username is required")
    elif len(username) > 32:
        problems.append("username is longer than 32 characters")
    email = record.get("email", "")
    if not EMAIL_PATTERN.match(email):
        problems.append(f"email {email!r} is not valid")
    age = record.get("age")
    if age is not None and not 0 < age < 150:
        problems.append(f"age {age} is out of range")
    return problems
