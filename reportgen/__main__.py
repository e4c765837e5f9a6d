"""The ``reportgen`` command (``python -m reportgen`` and the console script).

``reportgen judge`` loads llama.cpp before the rest of the CLI imports duckdb and polars:
a llama-cpp-python built with a static libstdc++ crashes otherwise (see
``reportgen/judge/_preload.py``). Other commands never import llama.cpp."""

import sys


def main() -> None:
    args = sys.argv[1:]
    if "judge" in args and not {"-h", "--help"} & set(args):
        import reportgen.judge  # noqa: F401  (its first import is llama_cpp)
    from reportgen.cli import main as cli_main
    cli_main()


if __name__ == "__main__":
    main()
