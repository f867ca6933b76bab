"""`winloss serve`: bind, print the URL, run the workspace until Ctrl-C."""
from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import uvicorn

from winloss.errors import WinlossError
from winloss.outputs.locations import resolve
from winloss.web.app import create_app
from winloss.web.guard import LOOPBACK, new_token


class ServeError(WinlossError):
    """The server cannot start (the port is taken, the address is not this machine's)."""


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(folder: Path, host: str = "127.0.0.1", port: int = 8765, token: str | None = None, echo=print) -> None:
    """Serve one run. Beyond loopback an access token is required (generated unless given) and printed in the URL."""
    folders = resolve(folder)
    loopback = is_loopback(host)
    if not loopback and token is None:
        token = new_token()
    hosts = {host, *LOOPBACK} if loopback and not token else None  # a token guards every other case
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(128)  # connections wait in the backlog from the moment the URL is printed
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    app = create_app(folders, hosts, token)
    port = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    echo(f"winloss workspace for {folders.out_dir}" + (f" (study {folders.study_dir})" if folders.study_dir else
                                                        " (study folder not found: codebook edits and audio are off)"))
    echo(f"open {url}   (Ctrl-C stops it)")
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
