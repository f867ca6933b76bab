"""Research commands: `winloss search`, `winloss themes ...`, `winloss export`. Registered on the main group in cli.py."""
from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

import click

from winloss.themes import codebook


def fail(message: str) -> NoReturn:
    from winloss.cli import CommandError

    raise CommandError(message)


def database_path(study: Path | None, db_file: Path | None, out_dir: Path | None = None) -> Path:
    """--db wins; else --out (or reports/<study name>)/winloss.db."""
    from winloss.outputs.db import DB_NAME
    from winloss.outputs.locations import default_out_dir

    if db_file:
        return db_file
    if out_dir:
        return out_dir / DB_NAME
    if study:
        return default_out_dir(study) / DB_NAME
    fail("give --study STUDY or --db FILE")


study_option = click.option("--study", type=click.Path(path_type=Path), help="Study folder (reads reports/<name>/).")
out_option = click.option("--out", "out_dir", type=click.Path(path_type=Path),
                          help="The run's output folder, if not reports/<study name>.")
db_option = click.option("--db", "db_file", type=click.Path(path_type=Path), help="A winloss.db file.")


@click.command()
@click.argument("query")
@study_option
@out_option
@db_option
@click.option("--theme", help="Only this theme: id (T03) or label.")
@click.option("--cohort", help="Only won, lost or churned.")
@click.option("--competitor", help="Only interviews whose CRM competitor is this.")
@click.option("--interview", help="Only this interview id.")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of text.")
def search(query, study, out_dir, db_file, theme, cohort, competitor, interview, limit, as_json) -> None:
    """Find verbatim quotes by keywords and by meaning. "Quoted words" must appear as a phrase."""
    from winloss.outputs.search import SearchIndex, encode_query, query_embedder
    from winloss.outputs.timestamps import fmt_time as format_time

    index = SearchIndex.open(database_path(study, db_file, out_dir))
    embedder = query_embedder(index.model_id)
    hits = index.search(query, encode_query(embedder, query), theme=theme, cohort=cohort,
                        competitor=competitor, interview=interview, limit=limit)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo("no matching statements", err=True)
    for n, h in enumerate(hits, start=1):
        theme_text = f"{h.theme_id} {h.theme_label}" if h.theme_id else "unassigned"
        click.echo(f"{n}. \"{h.quote}\"\n   {h.speaker}, {h.interview_id} ({h.cohort}), {format_time(h.start)}"
                   f" · {theme_text} · score {h.score:.3f}")


@click.group()
def themes() -> None:
    """List and edit the study's themes (the codebook)."""


@themes.command("list")
@study_option
@out_option
@db_option
def themes_list(study, out_dir, db_file) -> None:
    """Themes of the last run with interviews per cohort and keywords."""
    from winloss.outputs import db

    conn = db.connect(database_path(study, db_file, out_dir))
    cohorts = {}
    for r in conn.execute("SELECT theme_id, cohort, interviews_with_theme, interviews_in_cohort FROM theme_cohorts"):
        cohorts.setdefault(r[0], []).append(f"{r[1]} {r[2]}/{r[3]}")
    for r in conn.execute("SELECT * FROM themes ORDER BY theme_id"):
        new = " [new]" if r["status"] == "new" else ""
        click.echo(f"{r['theme_id']}  {r['label']}{new}\n     {r['n_statements']} statements, "
                   f"{r['n_interviews']} interviews · {', '.join(cohorts.get(r['theme_id'], []))}\n"
                   f"     keywords: {r['keywords']}")
    pending = pending_edits(study) if study else []
    for line in pending:
        click.echo(f"pending until the next run: {line}")


def pending_edits(study: Path) -> list[str]:
    book = codebook.load(study)
    if book is None:
        return []
    lines = []
    for t in book.themes:
        if t.deleted:
            lines.append(f"{t.id} deleted")
        elif t.merge_into:
            lines.append(f"{t.id} merges into {t.merge_into}")
        elif t.split_from:
            lines.append(f"{t.id} {t.label!r} splits from {t.split_from}")
    return lines


@themes.command("show")
@click.argument("theme_id")
@study_option
@out_option
@db_option
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True, help="Quotes to show.")
def themes_show(theme_id, study, out_dir, db_file, limit) -> None:
    """One theme: counts per cohort, keywords, its most typical quotes."""
    from winloss.outputs.search import SearchIndex
    from winloss.outputs.timestamps import fmt_time as format_time

    index = SearchIndex.open(database_path(study, db_file, out_dir))
    tid = index.resolve_theme(theme_id)
    if not tid:
        fail("unassigned statements are not a theme; try `winloss search QUERY --theme unassigned`")
    conn = index.conn
    t = conn.execute("SELECT * FROM themes WHERE theme_id = ?", (tid,)).fetchone()
    click.echo(f"{t['theme_id']}  {t['label']}\n{t['n_statements']} statements in {t['n_interviews']} interviews; "
               f"keywords: {t['keywords']}")
    for r in conn.execute("SELECT * FROM theme_cohorts WHERE theme_id = ? ORDER BY cohort", (tid,)):
        click.echo(f"  {r['cohort']}: {r['interviews_with_theme']} of {r['interviews_in_cohort']} interviews")
    for h in index.typical(tid, limit):
        click.echo(f"  > \"{h.quote}\"\n    {h.speaker}, {h.interview_id} ({h.cohort}), {format_time(h.start)}")


study_required = click.option("--study", type=click.Path(path_type=Path, exists=True, file_okay=False),
                              required=True, help="Study folder holding codebook.toml.")
NEXT_RUN = "takes effect on the next `winloss run`"


@themes.command("rename")
@click.argument("theme_id")
@click.argument("label")
@study_required
def themes_rename(theme_id, label, study) -> None:
    """Give THEME_ID a new label."""
    t = codebook.rename(study, theme_id, label)
    click.echo(f"{t.id} is now {t.label!r} ({NEXT_RUN})")


@themes.command("relabel")
@click.argument("theme_ids", nargs=-1)
@study_required
def themes_relabel(theme_ids, study) -> None:
    """Let winloss label THEME_IDS again (every theme when none is given), undoing a rename."""
    done = codebook.relabel(study, theme_ids)
    which = ", ".join(t.id for t in done) if theme_ids else f"all {len(done)} themes"
    click.echo(f"{which} will be labelled by winloss ({NEXT_RUN})")


@themes.command("merge")
@click.argument("theme_ids", nargs=-1, required=True)
@study_required
def themes_merge(theme_ids, study) -> None:
    """Merge themes: the first id absorbs the others."""
    t = codebook.merge(study, theme_ids)
    click.echo(f"{', '.join(theme_ids[1:])} merge into {t.id} {t.label!r} ({NEXT_RUN})")


@themes.command("split")
@click.argument("theme_id")
@study_required
@click.option("--seed-example", "seeds", multiple=True, required=True,
              help="A statement (text or id) typical of the part to split off; repeat for more.")
@click.option("--label", help="Label of the new theme.")
def themes_split(theme_id, study, seeds, label) -> None:
    """Split off the statements of THEME_ID that are like the seed examples into a new theme."""
    t = codebook.split(study, theme_id, seeds, label)
    click.echo(f"{t.id} {t.label!r} splits from {t.split_from} ({NEXT_RUN})")


@themes.command("pin")
@click.argument("theme_id")
@study_required
@click.option("--off", is_flag=True, help="Unpin.")
def themes_pin(theme_id, study, off) -> None:
    """Keep THEME_ID and its examples even when no statement fits it."""
    t = codebook.set_flag(study, theme_id, pinned=not off)
    click.echo(f"{t.id} {'unpinned' if off else 'pinned'} ({NEXT_RUN})")


@themes.command("delete")
@click.argument("theme_id")
@study_required
def themes_delete(theme_id, study) -> None:
    """Drop THEME_ID: its statements join another theme they fit, or stay unassigned."""
    t = codebook.set_flag(study, theme_id, deleted=True)
    click.echo(f"{t.id} deleted ({NEXT_RUN})")


@click.command()
@click.argument("study", type=click.Path(path_type=Path))
@out_option
@click.option("--format", "--to", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv",
              show_default=True, help="File format.")
@click.option("--dest", type=click.Path(path_type=Path), help="Where to write [OUT/export/].")
def export(study, out_dir, fmt, dest) -> None:
    """Export the last run's evidence (statements with themes and CRM fields), themes and counts."""
    from winloss.outputs.export import export_run
    from winloss.outputs.locations import default_out_dir

    out_dir = out_dir or default_out_dir(study)
    paths = export_run(out_dir, fmt, dest)
    for path in paths:
        click.echo(str(path))
