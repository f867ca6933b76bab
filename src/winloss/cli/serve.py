"""`winloss serve OUT_DIR|STUDY`: the browser workspace (winloss.web)."""
from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback requires an access token (printed in the URL).")
@click.option("--token", help="Access token to require [generated when --host is not loopback].")
def serve(folder: Path, port: int, host: str, token: str | None) -> None:
    """Browse a run's themes, quotes in context, search and the report; edit the codebook. FOLDER is the run's output
    folder (with winloss.db) or the study (its results in reports/<name>)."""
    from winloss.web.server import serve as run_server

    run_server(folder, host=host, port=port, token=token, echo=click.echo)
