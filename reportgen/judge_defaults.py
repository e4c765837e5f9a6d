"""The endpoint judge's defaults that ``reportgen judge`` shows in its help. They live outside the
``reportgen.judge`` package, whose import brings jinja2 and the judge's modules, so that the CLI
can name them without loading those (it loads them when it judges)."""

DEFAULT_TIMEOUT = 120    # seconds for one answer of the server (--timeout)
DEFAULT_RETRIES = 3      # tries after the first failure of a request: each request is tried DEFAULT_RETRIES + 1 times
