def read_api_token(path):
    """Read the API token from the given file and strip whitespace."""
    with open(path) as fh:
        token = fh.read()
    return token.strip()
