"""The sign-up form: its fields are checked like a stored user record."""

import re

MAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


def check_signup_form(form):
    errors = []
    login = form.get("username", "").strip()
    if not login:
        errors.append("username is required")
    elif len(login) > 32:
        errors.append("username is longer than 32 characters")
    mail = form.get("email", "")
    if not MAIL_RE.match(mail):
        errors.append(f"email {mail!r} is not valid")
    years = form.get("age")
    if years is not None and not 0 < years < 150:
        errors.append(f"age {years} is out of range")
    return errors


def signup_redirect(form):
    return form.get("next") or "/welcome"
