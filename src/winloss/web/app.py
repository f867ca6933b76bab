"""The workspace's pages: themes, a theme's evidence, a statement in its conversation, search, the codebook, the
report, and CSV of what is on screen. Server-rendered with jinja2 (autoescaped); no script runs in the pages.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from winloss.models import COHORTS
from winloss.outputs.db import DatabaseError
from winloss.outputs.locations import RunFolders
from winloss.outputs.search import SearchError, encode_query, query_embedder
from winloss.outputs.timestamps import fmt_time
from winloss.themes import codebook
from winloss.web.conversation import conversation
from winloss.web.guard import Guard, new_token, same
from winloss.web.report_html import render_report
from winloss.web.workspace import PAGE, SORTS, Workspace

HERE = Path(__file__).parent
IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}
NEXT_RUN = "Saved to codebook.toml. The themes change after the next `winloss run`."
CSV_COLUMNS = ("statement_id", "interview_id", "cohort", "speaker", "start", "end", "text", "theme_id", "theme_label",
               "account", "competitor", "loss_type", "stance")
SEARCH_LIMIT = 50


class Pages:
    """Request handlers over one Workspace."""

    def __init__(self, workspace: Workspace):
        self.ws = workspace
        self.csrf = new_token()
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                                      undefined=jinja2.StrictUndefined)
        self.env.filters.update(time=fmt_time, pct=lambda v: "" if v is None else f"{100 * v:.0f}%",
                                lift=lambda v: "" if v is None else ("∞" if v == float("inf") else f"{v:.1f}×"))
        self.env.globals.update(cohorts=COHORTS, csrf=self.csrf, study=self.ws.folders.study_dir,
                                out_dir=self.ws.folders.out_dir, query=_query)
        self._embedder = None

    def page(self, name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(name).render(**context), status)

    def missing(self, what: str) -> HTMLResponse:
        return self.page("error.html", 404, message=f"{what} is not part of this study")

    # -- themes -------------------------------------------------------------------------------------------------
    async def themes(self, request: Request):
        sort = request.query_params.get("sort", "id")
        sort = sort if sort in SORTS else "id"
        descending = request.query_params.get("desc") == "1"
        return self.page("themes.html", themes=self.ws.themes(sort, descending), sort=sort, descending=descending,
                         sizes=self.ws.cohort_sizes(), extra=self.ws.theme_extra,
                         stances="stance" in self.ws.columns)

    def _filters(self, request: Request) -> dict[str, str]:
        return {f: request.query_params.get(f, "") for f in self.ws.filters}

    async def theme(self, request: Request):
        theme = self.ws.theme(request.path_params["theme_id"])
        if theme is None:
            return self.missing("That theme")
        filters = self._filters(request)
        offset = max(0, _int(request.query_params.get("offset"), 0))
        rows, total = self.ws.statements(theme.theme_id, filters, offset)
        return self.page("theme.html", theme=theme, quotes=self.ws.quotes(theme.theme_id), rows=rows, total=total,
                         offset=offset, page_size=PAGE, filters=filters, choices=self.ws.choices(theme.theme_id),
                         sizes=self.ws.cohort_sizes(), stances="stance" in self.ws.columns)

    async def theme_csv(self, request: Request):
        theme = self.ws.theme(request.path_params["theme_id"])
        if theme is None:
            return self.missing("That theme")
        rows, _ = self.ws.statements(theme.theme_id, self._filters(request), limit=None)
        return _csv(rows, f"{theme.theme_id}.csv")

    # -- one statement --------------------------------------------------------------------------------------------
    async def statement(self, request: Request):
        row = self.ws.statement(request.path_params["statement_id"])
        if row is None:
            return self.missing("That statement")
        iid = row["interview_id"]
        others = self.ws.interview_statements(iid)
        talk = conversation(self.ws.transcript_file(iid), row, others, {s["speaker"] for s in others})
        audio = None
        if iid in self.ws.recordings:
            start = row["start"] or 0.0
            audio = f"/audio/{iid}#t={start:.2f}"
        return self.page("statement.html", row=row, talk=talk, interview=self.ws.interview(iid), audio=audio)

    async def audio(self, request: Request):
        path = self.ws.recordings.get(request.path_params["interview_id"])
        if path is None:
            return self.missing("That recording")
        return FileResponse(path)  # answers Range requests, so the player can seek

    # -- search ---------------------------------------------------------------------------------------------------
    def _search(self, request: Request, limit: int):
        q = request.query_params.get("q", "").strip()
        filters = {k: request.query_params.get(k) or None for k in ("theme", "cohort", "competitor", "interview")}
        if not q:
            return q, filters, [], None
        try:
            if self._embedder is None:
                self._embedder = query_embedder(self.ws.index.model_id)
            hits = self.ws.index.search(q, encode_query(self._embedder, q), limit=limit, **filters)
        except (SearchError, DatabaseError) as exc:
            return q, filters, [], str(exc)
        return q, filters, hits, None

    async def search(self, request: Request):
        q, filters, hits, error = self._search(request, SEARCH_LIMIT)
        return self.page("search.html", q=q, filters=filters, hits=hits, error=error,
                         themes=self.ws.themes(), choices=self.ws.choices())

    async def search_csv(self, request: Request):
        _, _, hits, error = self._search(request, SEARCH_LIMIT)
        if error:
            return Response(error, 400, media_type="text/plain")
        rows = [self.ws.statement(h.statement_id) for h in hits]
        return _csv(rows, "search.csv")

    # -- report and files -----------------------------------------------------------------------------------------
    async def report(self, request: Request):
        path = self.ws.output_file("report.md")
        # markdown-it on a 20,000-statement study's report is ~100 ms: rendered again only when the file changes
        html = self.ws.memo("report", lambda: render_report(path.read_text(encoding="utf-8")), path) if path else ""
        return self.page("report.html", html=html)

    async def files(self, request: Request):
        name = request.path_params["name"]
        path = self.ws.output_file(name) if Path(name).suffix.lower() in IMAGES else None
        if path is None:
            return self.missing("That file")
        return FileResponse(path, media_type=IMAGES[path.suffix.lower()])

    # -- codebook -------------------------------------------------------------------------------------------------
    def _book(self):
        """The codebook as on disk; read again (with its 20,000 members) only when one of its files changed."""
        study = self.ws.folders.study_dir
        if study is None:
            return None
        files = [study / name for name in (codebook.CODEBOOK, codebook.MEMBERS, codebook.CENTRES)]
        return self.ws.memo("codebook", lambda: codebook.load(study), *files)

    async def codebook_page(self, request: Request, message: str = "", error: str = "", status: int = 200):
        try:
            book = self._book()
        except codebook.CodebookError as exc:
            book, error = None, str(exc)
        return self.page("codebook.html", status, book=book, message=message, error=error,
                         edited=request.query_params.get("edited", ""))

    async def edit(self, request: Request):
        pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        form = dict(pairs)
        if not same(form.get("csrf"), self.csrf):
            return self.page("error.html", 403, message="This form has expired; reload the page and try again.")
        study = self.ws.folders.study_dir
        if study is None:
            return self.page("error.html", 409, message="The study folder (with codebook.toml) was not found.")
        action = request.path_params["action"]
        tid = form.get("theme_id", "")
        edits = {
            "rename": lambda: codebook.rename(study, tid, form.get("label", "")),
            "merge": lambda: codebook.merge(study, [tid, *[v for k, v in pairs if k == "absorb" and v]]),
            "split": lambda: codebook.split(study, tid, form.get("seeds", "").splitlines(), form.get("label") or None),
            "pin": lambda: codebook.set_flag(study, tid, pinned=form.get("pinned") == "1"),
            "delete": lambda: codebook.set_flag(study, tid, deleted=True),
        }
        if action not in edits:
            return self.missing("That edit")
        try:
            theme = edits[action]()
        except codebook.CodebookError as exc:
            self.ws.forget("codebook")
            return await self.codebook_page(request, error=str(exc), status=400)
        self.ws.forget("codebook")
        return RedirectResponse(f"/codebook?{urlencode({'edited': theme.id})}", 303)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _query(base: dict, **changes) -> str:
    """A query string: `base` with `changes`, empty values left out."""
    merged = {**{k: v for k, v in base.items() if v}, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _csv(rows, filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = set(rows[0].keys()) if rows else set()  # sqlite3.Row: `in` would test the values
    present = [c for c in CSV_COLUMNS if c in columns] or list(CSV_COLUMNS[:9])
    writer.writerow(present)
    for r in rows:
        writer.writerow(["" if r[c] is None else _cell(r[c]) for c in present])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _cell(value):
    """Spreadsheets run cells that start with = + - @ as formulas; a quote is text, so it gets a leading '."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def create_app(folders: RunFolders, hosts: set[str] | None, access_token: str | None = None) -> Guard:
    """The ASGI app for one run; `hosts` are the Host names answered (None: any, when a token guards it)."""
    pages = Pages(Workspace.open(folders))
    routes = [
        Route("/", pages.themes),
        Route("/themes/{theme_id}.csv", pages.theme_csv),
        Route("/themes/{theme_id}", pages.theme),
        Route("/statements/{statement_id}", pages.statement),
        Route("/audio/{interview_id}", pages.audio),
        Route("/search", pages.search),
        Route("/search.csv", pages.search_csv),
        Route("/report", pages.report),
        Route("/files/{name:path}", pages.files),
        Route("/codebook", pages.codebook_page),
        Route("/codebook/{action}", pages.edit, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.pages = pages
    return Guard(app, hosts, access_token)
