"""What never enters an index: credential files by name, and text that holds a secret.

Names (matched case-insensitively, gitignore style, anywhere in the tree): keys and
certificates, `.env` files in every spelling, and the credential files of common tools
(`CREDENTIAL_FILES`). Content: a private key block or a token whose shape is unmistakable
(`TOKENS`); a file that holds one is left out whole, never partly indexed, whether it is read
from disk or is an editor's unsaved buffer. Tokens are matched by their vendor prefix and
length, so ordinary code that talks about passwords or keys is not affected.
"""

from __future__ import annotations

import re

from .globs import globs_regex

KEY_FILES = (
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.crt", "*.cer", "*.der",
    "*.ppk", "*.asc", "*.gpg", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "*.kdbx",
)
ENV_FILES = (".env*", "*.env", "*.env.*")
CREDENTIAL_FILES = (
    # generic names
    "credentials", "credentials.*", "*credentials*.json", "*.credentials", "secrets.*",
    "*.secret", "*.secrets", ".htpasswd", ".pgpass", "*.tfvars", "*.tfstate",
    "service-account*.json", "*-service-account*.json", "*serviceaccount*.json",
    # git, GitHub CLI, Docker, Kubernetes
    ".git-credentials", ".gitcookies", "**/gh/hosts.yml", "**/gh/hosts.yaml",
    "**/.docker/config.json", "**/.kube/config*", "kubeconfig*", "*.kubeconfig",
    # package registries: npm/yarn, pip/PyPI, cargo (credentials above), gem, composer
    ".npmrc", ".yarnrc.yml", ".pypirc", "pip.conf", "pip.ini", "**/.gem/credentials",
    "auth.json",
    # cloud CLIs: AWS, GCP (gcloud's token databases, application default credentials), Azure
    "**/.aws/config", "**/.aws/credentials", "**/gcloud/*.db", "**/gcloud/legacy_credentials/",
    "application_default_credentials.json", "**/.azure/",
    # other home-folder secrets
    ".netrc", "_netrc", "**/.ssh/", "**/.gnupg/", ".vault-token", ".terraformrc",
)
PATTERNS = KEY_FILES + ENV_FILES + CREDENTIAL_FILES
_NAMES = globs_regex(p.lower() for p in PATTERNS)

# (what, literals, pattern): each pattern is a vendor's token format, specific enough that a
# match in ordinary code is next to impossible; it runs only on text holding one of the literals
# (a substring test is ~100x faster than a regular expression that starts with \b)
TOKENS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("a private key", ("PRIVATE KEY",), r"-----BEGIN [A-Z0-9 ]{0,24}PRIVATE KEY(?: BLOCK)?-----"
                                        r"[\s\S]{0,200}?[A-Za-z0-9+/]{40}"),
    ("a GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
     r"\bgh[pousr]_[A-Za-z0-9]{36,251}\b"),
    ("a GitHub token", ("github_pat_",), r"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b"),
    ("a GitLab token", ("glpat-",), r"\bglpat-[A-Za-z0-9_-]{20,}\b"),
    ("an AWS access key", ("AKIA", "ASIA", "ABIA", "ACCA"),
     r"\b(?:AKIA|ASIA|ABIA|ACCA)(?![A-Z0-9]*EXAMPLE)[A-Z0-9]{16}\b"),
    ("an AWS secret key", ("secret", "SECRET", "Secret"),
     r"(?i)aws_?secret_?access_?key\W{1,4}[A-Za-z0-9/+]{40}\b"),
    ("a Slack token", ("xox",), r"\bxox[abposr]-[0-9]{6,}-[A-Za-z0-9-]{6,}"),
    ("a Slack webhook", ("hooks.slack.com",),
     r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/\w{16,}"),
    ("an npm token", ("npm_",), r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("a PyPI token", ("pypi-AgE",), r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    ("a Google API key", ("AIza",), r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
    ("a Google OAuth secret", ("GOCSPX-",), r"\bGOCSPX-[A-Za-z0-9_-]{28}\b"),
    ("an OpenAI key", ("T3BlbkFJ",), r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"
                                     r"T3BlbkFJ[A-Za-z0-9_-]{20,}"),
    ("an OpenAI key", ("sk-proj-", "sk-svcacct-", "sk-admin-"),
     r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{80,}"),
    ("an OpenAI key", ("sk-",), r"\bsk-[A-Za-z0-9]{48}\b"),
    ("an Anthropic key", ("sk-ant-",), r"\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}"),
    ("a Hugging Face token", ("hf_",), r"\bhf_[A-Za-z]{34}\b"),
    ("a Stripe key", ("k_live_",), r"\b[rs]k_live_[A-Za-z0-9]{24,}\b"),
)
_TOKENS = [(what, literals, re.compile(pattern)) for what, literals, pattern in TOKENS]

HOME_LEFT_OUT = ("/.*/", "/Library/", "/AppData/", "/snap/")
"""Left out when the workspace is the user's home folder: its dot-folders are tools'
configuration (and caches, tokens, keys), and the platform's application-data folders."""


def is_secret_name(rel_path: str) -> bool:
    """True for a path (posix, relative) whose name says it holds credentials or keys."""
    return _NAMES.match(rel_path.lower()) is not None


def secret_in_text(text: str) -> str | None:
    """What kind of secret `text` holds ('a GitHub token', ...), or None."""
    for what, literals, pattern in _TOKENS:
        if any(literal in text for literal in literals) and pattern.search(text):
            return what
    return None
