"""Read transcripts (WebVTT, SRT, plain text, JSON) into turns, and write WebVTT.

Consecutive cues of one speaker are joined into one turn (with a single space), so a sentence that runs across
cues stays whole; each turn keeps where its cues start in its text, so a statement can get its own timestamps.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from winloss.models import Transcript, Turn

SUFFIXES = {".vtt": "vtt", ".srt": "srt", ".txt": "txt", ".text": "txt", ".md": "txt", ".json": "json"}

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?"
_CUE_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>", re.I)
_TAG = re.compile(r"</?[a-z][^>]*>", re.I)
# A speaker label: one to four capitalised words ("Dana Ruiz", "Customer 1", "Dr. Lee") or one token like speaker_0.
_NAME_PREFIX = re.compile(r"^\s*((?:[A-Z][\w.'\-]*|\d+)(?: (?:[A-Z][\w.'\-]*|\d+)){0,3}|[A-Za-z]+_\d+)\s*:\s+(\S.*)$")
_TXT_LINE = re.compile(r"^\s*[\[(]((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)[\])]\s*(.*)$")


class TranscriptError(Exception):
    pass


def _seconds(h, m, s, frac) -> float:
    frac = (frac or "0").ljust(3, "0")
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(frac) / 1000


def parse_timestamp(value: str) -> float:
    m = re.fullmatch(_TIME, value.strip())
    if not m:
        raise ValueError(f"not a timestamp: {value!r}")
    return _seconds(*m.groups())


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", text))).strip()


def _join(cues: list[tuple[str, str, float | None, float | None]]) -> list[Turn]:
    """Join consecutive (speaker, text, start, end) cues of the same speaker into turns."""
    turns: list[Turn] = []
    pending: list[tuple[str, str, float | None, float | None]] = []

    def flush():
        if not pending:
            return
        parts, offsets, pos = [], [], 0
        for _, text, start, end in pending:
            offsets.append((pos, start, end))
            parts.append(text)
            pos += len(text) + 1
        turns.append(Turn(speaker=pending[0][0], text=" ".join(parts), start=pending[0][2],
                          end=pending[-1][3], cues=tuple(offsets)))
        pending.clear()

    for cue in cues:
        speaker, text = cue[0], cue[1]
        if not text:
            continue
        if pending and pending[-1][0] != speaker:
            flush()
        pending.append(cue)
    flush()
    return turns


def _blocks(text: str) -> list[list[str]]:
    return [b.splitlines() for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")) if b.strip()]


def parse_vtt(text: str) -> list[Turn]:
    blocks = _blocks(text)
    if not blocks or not blocks[0][0].lstrip("\ufeff").startswith("WEBVTT"):
        raise TranscriptError("not WebVTT: the first line must be 'WEBVTT'")
    cues = []
    for lines in blocks[1:]:
        idx = next((i for i, line in enumerate(lines) if _CUE_TIMING.match(line)), None)
        if idx is None:
            continue  # NOTE, STYLE, REGION blocks
        m = _CUE_TIMING.match(lines[idx])
        g = m.groups()
        start, end = _seconds(*g[:4]), _seconds(*g[4:])
        speaker = None
        parts = []
        for line in lines[idx + 1:]:
            voice = _VOICE.search(line)
            if voice:
                if speaker is not None and voice.group(1).strip() != speaker and parts:
                    cues.append((speaker, _clean(" ".join(parts)), start, end))
                    parts = []
                speaker = voice.group(1).strip()
            parts.append(line)
        body = _clean(" ".join(parts))
        if speaker is None:
            named = _NAME_PREFIX.match(body)
            speaker, body = (named.group(1).strip(), named.group(2)) if named else ("Speaker", body)
        cues.append((speaker, body, start, end))
    return _join(cues)


def parse_srt(text: str) -> list[Turn]:
    cues = []
    speaker = "Speaker"
    for lines in _blocks(text):
        idx = next((i for i, line in enumerate(lines) if _CUE_TIMING.match(line)), None)
        if idx is None:
            raise TranscriptError(f"not SRT: block without a timing line: {lines[0][:60]!r}")
        g = _CUE_TIMING.match(lines[idx]).groups()
        body = _clean(" ".join(lines[idx + 1:]))
        named = _NAME_PREFIX.match(body)
        if named:  # a cue without a name continues the previous speaker, as SRT exports usually do
            speaker, body = named.group(1).strip(), named.group(2)
        cues.append((speaker, body, _seconds(*g[:4]), _seconds(*g[4:])))
    return _join(cues)


def parse_txt(text: str) -> list[Turn]:
    cues: list[list] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        start = None
        stamped = _TXT_LINE.match(line)
        if stamped:
            start = parse_timestamp(stamped.group(1))
            line = stamped.group(2)
        named = _NAME_PREFIX.match(line)
        if named:
            cues.append([named.group(1).strip(), _clean(named.group(2)), start, None])
        elif cues:  # a continuation line belongs to the turn above
            cues[-1][1] = f"{cues[-1][1]} {_clean(line)}".strip()
        else:
            raise TranscriptError(f"plain text transcript: expected 'Name: text' lines, got {line.strip()[:60]!r}")
    for this, nxt in zip(cues, cues[1:]):
        if this[2] is not None and nxt[2] is not None:
            this[3] = nxt[2]
    return _join([tuple(c) for c in cues])


def parse_json(text: str) -> list[Turn]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"invalid JSON: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("segments") or data.get("turns") or data.get("utterances")
    if not isinstance(data, list):
        raise TranscriptError("JSON transcript: expected a list of {speaker, start, end, text} objects")
    cues = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or "text" not in item:
            raise TranscriptError(f"JSON transcript: item {i} has no 'text'")
        times = []
        for key in ("start", "end"):
            value = item.get(key)
            if isinstance(value, str):
                value = parse_timestamp(value)
            times.append(float(value) if value is not None else None)
        cues.append((str(item.get("speaker") or "Speaker").strip(), _clean(str(item["text"])), *times))
    return _join(cues)


_PARSERS = {"vtt": parse_vtt, "srt": parse_srt, "txt": parse_txt, "json": parse_json}


def detect_format(path: Path, text: str) -> str:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt:
        return fmt
    head = text.lstrip("\ufeff").lstrip()
    if head.startswith("WEBVTT"):
        return "vtt"
    if head[:1] in "[{":
        return "json"
    if _CUE_TIMING.search(head[:200]):
        return "srt"
    return "txt"


def parse_transcript(path: Path) -> Transcript:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptError(f"not UTF-8 (byte {exc.start}); save it as UTF-8 and rerun") from exc
    except OSError as exc:
        raise TranscriptError(f"cannot read: {exc.strerror}") from exc
    if not text.strip():
        raise TranscriptError("empty transcript")
    fmt = detect_format(path, text)
    turns = _PARSERS[fmt](text)
    if not turns:
        raise TranscriptError(f"no speech found in this {fmt} transcript")
    return Transcript(turns=turns, source=path, format=fmt)


def _stamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def write_vtt(turns: list[Turn], path: Path) -> None:
    """One cue per turn, `<v Speaker>` voice tags: the format parse_vtt reads back."""
    lines = ["WEBVTT", ""]
    for turn in turns:
        start = turn.start or 0.0
        end = turn.end if turn.end is not None else start
        lines += [f"{_stamp(start)} --> {_stamp(end)}", f"<v {turn.speaker}>{html.escape(turn.text, quote=False)}", ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")
