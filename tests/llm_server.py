"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol, standing in for a remote LLM.

It records every request and answers from a script: a FIFO of scripted actions first, then a `responder` function of
the request body. Actions: a reply (any string, valid JSON or not), an HTTP error status (429, 500, ...), or a delay
longer than the client's timeout.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Action:
    content: str | None = None  # assistant message content
    status: int = 200
    delay: float = 0.0  # seconds before answering
    headers: dict = field(default_factory=dict)
    message: str = ""  # the error message, for a status other than 200


def reply(content) -> Action:
    return Action(content=content if isinstance(content, str) else json.dumps(content))


def error(status: int, message: str = "") -> Action:
    # retry-after-ms keeps the openai client's backoff short in tests
    return Action(status=status, headers={"retry-after-ms": "10"}, message=message or f"scripted {status}")


def hang(seconds: float) -> Action:
    return Action(content="{}", delay=seconds)


def schema_name(body: dict) -> str:
    return ((body.get("response_format") or {}).get("json_schema") or {}).get("name", "")


class LlmServer:
    def __init__(self):
        self.requests: list[dict] = []  # {"path", "headers", "body"}
        self.script: list[Action] = []
        self.responder: Callable[[dict], Action] = lambda body: reply({})
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                body = json.loads(raw or b"{}")
                with server._lock:
                    server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                            "raw": raw.decode("utf-8")})
                    action = server.script.pop(0) if server.script else None
                if action is None:
                    action = server.responder(body)
                if action.delay:
                    time.sleep(action.delay)
                if action.status != 200:
                    payload = {"error": {"message": action.message, "type": "server_error"}}
                else:
                    payload = {
                        "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "created": 0,
                        "model": body.get("model", ""),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": action.content}}],
                        "usage": {"prompt_tokens": len(raw) // 4, "completion_tokens": len(action.content or "") // 4,
                                  "total_tokens": (len(raw) + len(action.content or "")) // 4},
                    }
                data = json.dumps(payload).encode()
                try:
                    self.send_response(action.status)
                    for key, value in action.headers.items():
                        self.send_header(key, value)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): that is the point of a hang

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "LlmServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def bodies(self, name: str | None = None) -> list[dict]:
        with self._lock:
            return [r["body"] for r in self.requests if name is None or schema_name(r["body"]) == name]


def demo_responder(body):
    """Answers every prompt winloss sends about the demo study with a reply that passes its checks."""
    name = schema_name(body)
    user = body["messages"][1]["content"]
    blocks = [json.loads(b) for b in re.findall(r"<data>\n(.*?)\n</data>", user, re.DOTALL)]
    if name == "theme_label":
        tid = re.search(r"Theme (T\d+)\.", user).group(1)
        return reply({"label": f"Specific issue number {int(tid[1:])}",
                      "description": f"Customers describe issue {int(tid[1:])}."})
    if name == "loss_notes":
        return reply({"deals": [{"deal_id": d["deal_id"], "loss_type": 3, "reason": "budget freeze",
                                 "competitor": ""} for d in blocks[0]]})
    if name == "summary":  # a draft that passes every check: figures from the tables, a quote copied whole
        tables, quotes = blocks
        closed, quote = tables["scope"]["closed"], quotes[0]
        return reply({"executive_summary": [{"text": f"We analysed {closed} closed deals.",
                                             "cites": [str(closed)]}],
                      "headline_findings": [{"text": f"Theme {quote['theme_id']} stands out.",
                                             "cites": [quote["theme_id"]], "quote": quote["quote"]}]})
    if name == "stance":  # a reader that agrees with the demo's answer key, and calls unkeyed statements neutral
        key = demo_stance_key()
        return reply({"stances": [{"id": row["id"], "stance": key.get(row["id"], "neutral")} for row in blocks[1]]})
    return reply({"merges": []})


def demo_stance_key() -> dict[str, str]:
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "fixtures" / "demo" / "stance_key.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return {row["statement_id"]: row["stance"] for row in csv.DictReader(f)}

