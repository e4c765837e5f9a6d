"""The ``reportgen`` command (``python -m reportgen`` and the console script). The CLI's
process never loads llama.cpp: ``reportgen judge`` runs the model in a child process
(``reportgen/judge/worker.py``)."""


def main() -> None:
    from reportgen.cli import main as cli_main
    cli_main()


if __name__ == "__main__":
    main()
