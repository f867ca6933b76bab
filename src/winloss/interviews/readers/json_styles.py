"""JSON transcripts, by shape:

- winloss's documented list `[{speaker, start, end, text}]` (also under `turns`)
- whisper / faster-whisper / whisperX `{segments: [...]}`, with or without `speaker`, with or without `words`
- Rev `{monologues: [{speaker, speaker_name, elements|spans: [{type, value, ts, end_ts}]}]}`
- Amberscript `{speakers: [{spkid, name}], segments: [{speaker, words: [{text, start, end}]}]}`
- Gong `{callTranscripts: [{transcript: [{speakerId, sentences: [{start, end, text}]}]}]}` (milliseconds)
- Teams / Stream `{entries: [{speakerDisplayName, startOffset, endOffset, text}]}`
- AssemblyAI `{utterances: [{speaker: "A", start, end, text}]}` (milliseconds), Deepgram
  `{results: {utterances: [{speaker: 0, start, end, transcript}]}}` (seconds)
- Fireflies `{sentences: [{speaker_name, start_time, end_time, text}]}`, also as the API's
  `{data: {transcript: {...}}}`
- whisper.cpp `{transcription: [{offsets: {from, to}, text}]}` (milliseconds)
- Hugging Face's ASR pipeline `{chunks: [{timestamp: [start, end], text}]}`, and insanely-fast-whisper's
  `{speakers: [{speaker, timestamp, text}], chunks, text}`
- Azure Speech batch `{recognizedPhrases: [{speaker, offsetInTicks, durationInTicks, nBest: [{display}]}]}`
- Amazon Transcribe `{results: {items: [{start_time, alternatives: [{content}], type, speaker_label?}],
  speaker_labels: {segments: [{speaker_label, items: [{start_time}]}]}}}`
- any other shape that holds, a few levels down, one list of objects with a text: a contact centre's export such as
  NICE CXone's `{interwovenTranscript: {transcriptBlock: [{channelName, text}]}}`, the speaker read from the
  usual keys or a channel, participant or role; a file of several calls is refused (one interview a file)
"""
from __future__ import annotations

import json
import re
from typing import Any

from winloss.interviews.readers.common import (
    UNKNOWN_SPEAKER,
    Cue,
    ReaderError,
    clean,
    fill_ends,
    join,
    number_seconds,
)
from winloss.models import Turn

_CLOSING_PUNCT = re.compile(r"^[.,!?;:%…)\]}”’'\"]+$")  # attaches to the word before; a dash does not


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and (rows := _json_lines(text)) is not None:
            return rows  # JSON Lines: one object a line, as streaming and support tools export
        raise ReaderError(f"invalid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                          "is the file complete?") from exc


def _json_lines(text: str) -> list | None:
    """The objects of a JSON Lines file, or None when a line is not one."""
    rows = []
    for line in text.splitlines():
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                return None
    return rows if rows and all(isinstance(r, dict) for r in rows) else None


def _words(words: list, key: str = "text") -> str:
    """Word lists as ASR tools write them: punctuation tokens attach to the word before."""
    out = ""
    for w in words:
        if not isinstance(w, dict):
            continue
        token = str(w.get(key) if w.get(key) is not None else w.get("word") or w.get("value") or "").strip()
        if not token:
            continue
        out += token if (_CLOSING_PUNCT.match(token) and out) or not out else f" {token}"
    return out


_PERSON_KEYS = ("display_name", "displayName", "name", "full_name", "fullName", "label", "email")


def _name(value: Any, names: dict[str, str], prefix: str = "Speaker ") -> str:
    if isinstance(value, dict):  # Fathom's {"display_name": "Alex", "matched_calendar_invitee_email": ...}
        value = next((value[k] for k in _PERSON_KEYS if isinstance(value.get(k), (str, int)) and value[k] != ""),
                     None)
    if value is None or value == "":
        return UNKNOWN_SPEAKER
    key = str(value).strip()
    if key in names:
        return names[key]
    # Diarizers number speakers (0, 1) or letter them (A, B): say "Speaker 0", not a bare "0".
    return f"{prefix}{key}" if isinstance(value, int) or re.fullmatch(r"\d+|[A-Z]", key) else key


_SPEAKER_KEYS = ("speaker", "speaker_name", "speakerDisplayName")


def _segment_cues(items: list, names: dict[str, str], scale: float = 1.0,
                  speaker_keys: tuple[str, ...] = _SPEAKER_KEYS) -> list[Cue]:
    # whisperX leaves `speaker` off a segment its diarizer could not place: in a file whose other segments name
    # theirs, that is the speaker before it, not one more person called "Speaker"
    if not any(isinstance(item, dict) and any(item.get(k) not in (None, "") for k in speaker_keys) for item in items):
        speaker_keys = _ANY_SPEAKER_KEYS  # Zoom's `participant`, a contact centre's `speaker_id`, `role` ...
    diarized = any(isinstance(item, dict) and any(item.get(k) not in (None, "") for k in speaker_keys)
                   for item in items)
    cues: list[Cue] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ReaderError(f"item {i} is not an object")
        text = item.get("text", item.get("transcript"))
        if text is None and isinstance(item.get("words"), list):
            text = _words(item["words"])
        if text is None:
            raise ReaderError(f"item {i} has no 'text' (its keys: {', '.join(sorted(map(str, item))[:12])})")
        speaker = next((item[k] for k in speaker_keys if item.get(k) not in (None, "")), None)
        start = item.get("start", item.get("start_time", item.get("startOffset")))
        end = item.get("end", item.get("end_time", item.get("endOffset")))
        unit = scale
        pair = item.get("timestamp")  # Hugging Face's ASR pipeline: "timestamp": [start, end], end null at the last
        if isinstance(pair, list) and len(pair) == 2 and start is None:
            start, end = pair
        elif isinstance(pair, str) and start is None:
            start = pair  # Fathom, contact centres: "00:00:05"
        if start is None and item.get("start_ms", item.get("startMs")) is not None:
            start, end, unit = item.get("start_ms", item.get("startMs")), item.get("end_ms", item.get("endMs")), 0.001
        who = cues[-1].speaker if speaker is None and diarized and cues else _name(speaker, names)
        cues.append(Cue(who, clean(str(text)), number_seconds(start, unit), number_seconds(end, unit)))
    return cues


def _speaker_names(data: dict, list_key: str) -> dict[str, str]:
    names = {}
    for s in data.get(list_key) or []:
        if isinstance(s, dict):
            key = s.get("spkid", s.get("id", s.get("speakerId", s.get("spk"))))
            name = s.get("name", s.get("display_name", s.get("label")))
            if key is not None and name:
                names[str(key)] = str(name)
    return names


def _rev(data: dict) -> list[Cue]:
    cues = []
    for mono in data["monologues"]:
        elements = mono.get("elements") or mono.get("spans") or []
        timed = [e for e in elements if isinstance(e, dict) and e.get("ts") is not None]
        text = "".join(str(e.get("value", "")) for e in elements if isinstance(e, dict))
        speaker = mono.get("speaker_name") or (mono.get("speaker_info") or {}).get("display_name")
        cues.append(Cue(str(speaker) if speaker else _name(mono.get("speaker"), {}), clean(text),
                        number_seconds(timed[0]["ts"]) if timed else None,
                        number_seconds(timed[-1].get("end_ts")) if timed else None))
    return cues


def _gong(data: dict) -> list[Cue]:
    names = _speaker_names(data, "parties")
    cues = []
    for call in data["callTranscripts"]:
        for mono in call.get("transcript") or []:
            speaker = _name(mono.get("speakerId"), names)
            for sentence in mono.get("sentences") or []:
                cues.append(Cue(speaker, clean(str(sentence.get("text", ""))),
                                number_seconds(sentence.get("start"), 0.001), number_seconds(sentence.get("end"), 0.001)))
    return cues


def _amberscript(data: dict) -> list[Cue]:
    names = _speaker_names(data, "speakers")
    cues = []
    for seg in data["segments"]:
        words = seg.get("words") or []
        start = seg.get("start", words[0].get("start") if words else None)
        end = seg.get("end", words[-1].get("end") if words else None)
        cues.append(Cue(_name(seg.get("speaker"), names), clean(_words(words)), number_seconds(start),
                        number_seconds(end)))
    return cues


def _whisper_cpp(data: dict) -> list[Cue]:
    cues = []
    for item in data["transcription"]:
        offsets = item.get("offsets") or {}
        cues.append(Cue(UNKNOWN_SPEAKER, clean(str(item.get("text", ""))), number_seconds(offsets.get("from"), 0.001),
                        number_seconds(offsets.get("to"), 0.001)))
    return cues


def _azure(data: dict) -> list[Cue]:
    """Azure writes times in ticks of 100 ns; `speaker` (diarization) is a number, else the channel tells."""
    channels = {p.get("channel") for p in data["recognizedPhrases"] if isinstance(p, dict)}
    cues = []
    for phrase in data["recognizedPhrases"]:
        best = (phrase.get("nBest") or [{}])[0]
        who = phrase.get("speaker")
        speaker = _name(who, {}) if who is not None else \
            f"Channel {phrase.get('channel')}" if len(channels) > 1 else UNKNOWN_SPEAKER
        start = number_seconds(phrase.get("offsetInTicks"), 1e-7)
        duration = number_seconds(phrase.get("durationInTicks"), 1e-7)
        cues.append(Cue(speaker, clean(str(best.get("display", best.get("lexical", "")))), start,
                        round(start + duration, 3) if start is not None and duration is not None else None))
    return sorted(cues, key=lambda c: (c.start is None, c.start or 0.0))


def _aws(results: dict) -> list[Cue]:
    """Amazon Transcribe: a word list; who speaks is on each item (newer jobs) or in speaker_labels' segments,
    keyed by the word's start time; punctuation items have no time and join the word before."""
    by_start = {str(i.get("start_time")): seg.get("speaker_label")
                for seg in (results.get("speaker_labels") or {}).get("segments") or []
                for i in seg.get("items") or []}
    runs: list[list] = []  # [speaker, words, start, end]
    for item in results["items"]:
        content = ((item.get("alternatives") or [{}])[0]).get("content", "")
        if item.get("type") == "punctuation" or item.get("start_time") is None:
            if runs:
                runs[-1][1].append({"text": content})
            continue
        label = item.get("speaker_label") or by_start.get(str(item["start_time"]))
        speaker = _name(label.removeprefix("spk_") if label else None, {})
        if not runs or runs[-1][0] != speaker:
            runs.append([speaker, [], number_seconds(item["start_time"]), None])
        runs[-1][1].append({"text": content})
        runs[-1][3] = number_seconds(item.get("end_time"))
    return [Cue(speaker, clean(_words(words)), start, end) for speaker, words, start, end in runs]


def _google(results: list[dict]) -> list[Cue]:
    """Google Speech-to-Text: with diarization the last result repeats every word with its `speakerTag`; without,
    each result is one stretch of speech. Times are strings such as '1.300s'."""
    def at(word: dict, key: str) -> float | None:
        value = word.get(key, word.get(key.replace("Time", "Offset")))
        return number_seconds(str(value).removesuffix("s")) if value is not None else None

    words = ((results[-1].get("alternatives") or [{}])[0]).get("words") or []
    if words and all("speakerTag" in w or "speakerLabel" in w for w in words):
        runs: list[list] = []
        for w in words:
            speaker = _name(w.get("speakerTag", w.get("speakerLabel")), {})
            if not runs or runs[-1][0] != speaker:
                runs.append([speaker, []])
            runs[-1][1].append(w)
        return [Cue(speaker, clean(_words(ws, "word")), at(ws[0], "startTime"), at(ws[-1], "endTime"))
                for speaker, ws in runs]
    cues = []
    for result in results:
        best = (result.get("alternatives") or [{}])[0]
        ws = best.get("words") or []
        cues.append(Cue(UNKNOWN_SPEAKER, clean(str(best.get("transcript", ""))),
                        at(ws[0], "startTime") if ws else None,
                        at(ws[-1] if ws else result, "endTime" if ws else "resultEndTime")))
    return cues


_TEXT_KEYS = ("text", "transcript", "content", "utterance", "sentence", "message", "body")
_ANY_SPEAKER_KEYS = _SPEAKER_KEYS + ("speakerName", "speaker_label", "speakerLabel", "speaker_id", "speakerId",
                                     "channelName", "channel_name",
                                     "participantName", "participant", "participantType", "role", "party", "name")
_ANY_START_KEYS = ("start", "start_time", "startOffset", "startTime", "offset", "begin", "beginTime")
_ANY_END_KEYS = ("end", "end_time", "endOffset", "endTime", "finish")


def _turn_list(value: Any) -> bool:
    dicts = [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
    return bool(dicts) and 2 * sum(any(isinstance(d.get(k), str) for k in _TEXT_KEYS) for d in dicts) >= len(dicts)


def _nested_lists(data: Any, depth: int = 4) -> list[list]:
    """The lists of speech objects under `data`, breadth first, each list once (not also its items' own lists)."""
    found, level = [], [data]
    for _ in range(depth):
        nxt = []
        for value in level:
            children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
            for child in children:
                if _turn_list(child):
                    found.append(child)
                elif isinstance(child, (dict, list)):
                    nxt.append(child)
        level = nxt
    return found


def _generic(data: Any) -> list[Cue] | None:
    """A shape no tool above writes: its one list of speech objects, the keys read by their usual names."""
    lists = _nested_lists(data)
    if not lists:
        return None
    if len(lists) > 1 and isinstance(data, list):
        raise ReaderError(f"the file holds {len(lists)} calls, each with its own transcript; winloss reads one "
                          "interview a file: save each call as a file of its own")
    items = []
    for item in max(lists, key=len):
        if not isinstance(item, dict):
            continue
        text = next((item[k] for k in _TEXT_KEYS if isinstance(item.get(k), str)), None)
        if text is None:
            continue
        start = next((item[k] for k in _ANY_START_KEYS if item.get(k) not in (None, "")), None)
        end = next((item[k] for k in _ANY_END_KEYS if item.get(k) not in (None, "")), None)
        items.append({**item, "text": text, "start": start, "end": end})
    return fill_ends(_segment_cues(items, {}, speaker_keys=_ANY_SPEAKER_KEYS))


def _cues(data: Any) -> list[Cue]:
    if isinstance(data, dict) and isinstance(data.get("data"), dict) and isinstance(data["data"].get("transcript"),
                                                                                   dict):
        data = data["data"]["transcript"]  # a Fireflies API response saved as is
    if isinstance(data, list):
        if not _turn_list(data) and (found := _generic(data)) is not None:
            return found  # a list of calls or contacts, each with its transcript inside
        return fill_ends(_segment_cues(data, {}))
    if not isinstance(data, dict):
        raise ReaderError("expected a list of {speaker, start, end, text} objects")
    if isinstance(data.get("monologues"), list):
        return _rev(data)
    if isinstance(data.get("callTranscripts"), list):
        return _gong(data)
    segments = data.get("segments")
    if isinstance(segments, list) and data.get("speakers") and segments and isinstance(segments[0], dict) \
            and "text" not in segments[0]:
        return _amberscript(data)
    if isinstance(data.get("entries"), list):
        return _segment_cues(data["entries"], {})
    if isinstance(data.get("sentences"), list):
        return _segment_cues(data["sentences"], _speaker_names(data, "speakers"))
    if isinstance(data.get("chunks"), list):  # transformers' pipeline; insanely-fast-whisper adds diarized speakers
        speakers = data.get("speakers")
        diarized = isinstance(speakers, list) and speakers and all(isinstance(x, dict) and "text" in x for x in speakers)
        return _segment_cues(speakers if diarized else data["chunks"], {})
    if isinstance(data.get("transcription"), list):
        return _whisper_cpp(data)
    if isinstance(data.get("recognizedPhrases"), list):
        return _azure(data)
    results = data.get("results")
    if isinstance(results, dict) and isinstance(results.get("utterances"), list):
        return _segment_cues(results["utterances"], {})  # Deepgram: seconds
    if isinstance(results, dict) and isinstance(results.get("items"), list):
        return _aws(results)
    if isinstance(results, list) and results and all(isinstance(r, dict) and "alternatives" in r for r in results):
        return _google(results)
    if isinstance(data.get("utterances"), list):
        items = data["utterances"]
        return _segment_cues(items, {}, 0.001 if _assemblyai(data) else 1.0)
    for key in ("segments", "turns"):
        if isinstance(data.get(key), list):
            return _segment_cues(data[key], _speaker_names(data, "speakers"))
    if (found := _generic(data)) is not None:
        return found
    raise ReaderError("JSON transcript: expected a list of {speaker, start, end, text} objects, or segments, "
                      "utterances, monologues, entries, sentences, chunks, transcription, recognizedPhrases, "
                      "results or callTranscripts")


def _assemblyai(data: dict) -> bool:
    """AssemblyAI writes milliseconds; its transcripts carry its job fields, or integer times past any interview."""
    if any(k in data for k in ("audio_url", "audio_duration", "acoustic_model", "language_model")):
        return True
    ends = [u.get("end") for u in data["utterances"] if isinstance(u, dict)]
    return bool(ends) and all(isinstance(e, int) for e in ends) and max(ends) > 5 * 3600


def read_json(text: str) -> list[Turn]:
    return join(_cues(_load(text)))


def sniff_json(text: str) -> float:
    """What opens like JSON is read as JSON, so a truncated file says 'invalid JSON', not 'no speakers'; a text
    line such as `[00:00:07] Dana: ...` opens with a bracket too, but not with `[{` or `["`."""
    head = "".join(text.lstrip("\ufeff").split())[:2]
    if head[:1] == "{" or head in ("[{", '["', "[]"):
        return 0.9
    return 0.0
