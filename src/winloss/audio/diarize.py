"""Who spoke when in a single-channel recording, word by word.

Voice prints come from short windows over the speech (winloss.audio.windows). The full-length windows are
clustered (Ward linkage on the unit d-vectors, refined by two nearest-centroid passes); the number of voices is
the manifest's when given, else speaker_count(), which prefers two. Every whisper *word* then takes the voice that
the windows covering it resemble most, smoothed by a Viterbi pass in which changing voice is cheap at a pause or
a sentence end and dear inside a phrase: a segment spanning two speakers is split where the voice changes, and a
backchannel goes to whoever said it. Pieces (what the cache keeps) are runs of one voice's words, cut at
punctuation and pauses as before, so cues keep precise times.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from winloss.audio.timing import snap_words, vad_regions
from winloss.audio.transcribe import Segment, Word
from winloss.audio.windows import (
    WINDOW_S,
    Window,
    cut_windows,
    embed_windows,
    speech_regions,
)

SPLIT_AFTER = (".", "?", "!", ",", ";", ":")
PAUSE_S = 0.5  # a silence this long between whisper's words ends a piece
SNAPPED_PAUSE_S = 0.01  # ...and any silence between speech regions (the words' times snapped to them)
BREAK_S = 0.25  # a change of voice after a silence this long (or after punctuation) costs little
RELIABLE_S = 1.0  # windows shorter than this are placed, never used to find the voices
SAME_VOICE = 0.86  # 2-voice centroids more alike than this are one voice (Resemblyzer cosine)
ALIKE_VOICES = 0.75  # above this a split is kept but reported unsure (two callers on a phone line: 0.80)
HYSTERESIS = 0.04  # within this of a threshold the preferred count (two) is kept, and flagged
MIN_SILHOUETTE = 0.05  # a split with less structure than this is one voice
MORE_VOICES = 0.82  # a third voice must be less alike than this to both others...
MIN_SHARE = 0.08  # ...and hold this share of the speech windows...
MIN_WINDOWS = 8  # ...and at least this many (about 6 s of speech): a short recording does not sprout voices
SWITCH_COST = 0.3  # Viterbi cost of a change of voice between two words of one phrase (cosine units)
BREAK_COST = 0.02  # ...and at a pause or punctuation
UNSURE_MARGIN = 0.05  # a word this close to two voices is an unsure attribution


@dataclass(frozen=True)
class Piece:
    start: float
    end: float
    text: str
    speaker: int = 0
    margin: float = 1.0  # similarity to own voice minus to the next one; 1.0 when nothing to tell apart


@dataclass
class Diarization:
    pieces: list[Piece]
    n_speakers: int
    confidence: float  # share of words attributed with a clear margin, 0..1
    warnings: list[str]
    params: dict
    voices: list[list[float]] = field(default_factory=list)  # voice number -> centroid d-vector, for study-wide matching
    words: list[tuple[float, float, int]] = field(default_factory=list)  # (start, end, voice) per word, not cached


@dataclass(frozen=True)
class VoiceCount:
    labels: np.ndarray  # voice per clustered window, 0..count-1
    count: int
    unsure: str  # why the count may be wrong, "" when clear
    closest: dict[int, float]  # voices -> similarity of the closest pair of centroids in that split


def words_of(segments: list[Segment]) -> list[Word]:
    """Whisper's words; a segment without word timestamps counts as one word."""
    out: list[Word] = []
    for seg in segments:
        out += list(seg.words) if seg.words else [Word(seg.start, seg.end, " " + seg.text)]
    return [w for w in out if w.text.strip()]


def _ward(vectors: np.ndarray, k: int) -> np.ndarray:
    """k voices: Ward linkage on the unit vectors, then two nearest-centroid passes to undo its early merges."""
    from scipy.cluster.hierarchy import fcluster, linkage

    labels = fcluster(linkage(vectors, method="ward"), k, criterion="maxclust") - 1
    for _ in range(2):
        centroids = centroids_of(vectors, labels)
        moved = np.argmax(vectors @ centroids.T, axis=1)
        if len(set(moved.tolist())) < len(set(labels.tolist())) or np.array_equal(moved, labels):
            break
        labels = moved
    return labels


def centroids_of(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    rows = [vectors[labels == k].mean(axis=0) for k in range(int(labels.max()) + 1)]
    return np.asarray([r / (np.linalg.norm(r) or 1.0) for r in rows])


def _closest_pair(centroids: np.ndarray) -> float:
    sims = centroids @ centroids.T
    return float(np.max(sims[~np.eye(len(centroids), dtype=bool)]))


def cosine_silhouette(vectors: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette under cosine distance (sklearn's silhouette_score(metric="cosine"), without importing
    sklearn for it: a second of CPU on every cold start). A point alone in its cluster scores 0."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    dist = np.clip(1.0 - unit @ unit.T, 0.0, None)
    k = int(labels.max()) + 1
    members = np.eye(k)[labels]  # n x k one-hot
    sizes = members.sum(axis=0)
    sums = dist @ members  # n x k: distance to every cluster, summed
    own = sizes[labels] - 1
    a = np.where(own > 0, sums[np.arange(len(labels)), labels] / np.maximum(own, 1), 0.0)
    others = np.where(members > 0, np.inf, sums / np.maximum(sizes, 1))
    b = others.min(axis=1)
    s = np.where(own > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(s.mean())


def speaker_count(vectors: np.ndarray, max_speakers: int, known: int = 0) -> VoiceCount:
    """How many voices: `known` (the manifest) when given; else two unless the evidence is clear.

    One voice when the two-voice centroids are more alike than SAME_VOICE or the split has no structure. One more
    voice only when every pair of the larger split's centroids is less alike than MORE_VOICES and its smallest
    voice holds MIN_SHARE and MIN_WINDOWS of the windows (splitting one real voice in three gives a pair at 0.89-0.94; three real
    voices, 0.78). Within HYSTERESIS of either threshold the count stays two and is reported unsure, so a
    recording near the line does not flip between runs of similar audio.
    """
    n = len(vectors)
    if known:
        k = max(1, min(known, n))
        labels = _ward(vectors, k) if k > 1 else np.zeros(n, dtype=int)
        return VoiceCount(labels, int(labels.max()) + 1, "", {})
    if n < 4 or max_speakers < 2:
        return VoiceCount(np.zeros(n, dtype=int), 1, "too little speech to tell voices apart" if n < 4 else "", {})
    labels = {k: _ward(vectors, k) for k in range(2, min(max_speakers, n - 1) + 1)}
    labels = {k: lab for k, lab in labels.items() if lab.max() == k - 1}
    if 2 not in labels:
        return VoiceCount(np.zeros(n, dtype=int), 1, "", {})
    closest = {k: _closest_pair(centroids_of(vectors, lab)) for k, lab in labels.items()}
    silhouette = cosine_silhouette(vectors, labels[2])
    if closest[2] > SAME_VOICE + HYSTERESIS or silhouette < MIN_SILHOUETTE:
        return VoiceCount(np.zeros(n, dtype=int), 1, "", closest)
    unsure = ""
    if closest[2] > SAME_VOICE - HYSTERESIS:
        unsure = f"two voices or one? (similarity {closest[2]:.2f}, threshold {SAME_VOICE})"
    best = 2
    for k in sorted(closest):
        if k != best + 1:
            continue
        smallest = int(np.bincount(labels[k]).min())
        share = smallest / n
        if closest[k] < MORE_VOICES - HYSTERESIS and share >= MIN_SHARE and smallest >= MIN_WINDOWS:
            best = k
        elif closest[k] < MORE_VOICES + HYSTERESIS and share >= MIN_SHARE / 2:
            unsure = unsure or f"{best} or {k} voices? (closest pair of {k} at similarity {closest[k]:.2f})"
    return VoiceCount(labels[best], best, unsure, closest)


def word_scores(words: list[Word], windows: list[Window], sims: np.ndarray) -> np.ndarray:
    """Per word, each voice's similarity averaged over the windows covering it, weighted by how much of each
    window the word fills (a backchannel fills its own short window, a sliver of its neighbour's)."""
    starts = np.array([w.start for w in windows])
    ends = np.array([w.end for w in windows])
    out = np.zeros((len(words), sims.shape[1]))
    for i, word in enumerate(words):
        lo, hi = word.start, max(word.end, word.start + 0.02)
        overlap = np.clip(np.minimum(ends, hi) - np.maximum(starts, lo), 0, None) / (ends - starts)
        if overlap.sum() <= 0:  # a word outside every window (timestamps past the speech): the nearest window
            overlap = np.zeros(len(windows))
            overlap[int(np.argmin(np.abs((starts + ends) / 2 - (lo + hi) / 2)))] = 1.0
        out[i] = overlap @ sims / overlap.sum()
    return out


def breaks_before(words: list[Word]) -> np.ndarray:
    """True where a change of voice before word i is plausible: after punctuation or a pause."""
    out = np.zeros(len(words), dtype=bool)
    for i in range(1, len(words)):
        prev = words[i - 1]
        out[i] = prev.text.rstrip().endswith(SPLIT_AFTER) or words[i].start - prev.end >= BREAK_S
    return out


def viterbi(scores: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """The voice sequence maximising total similarity minus the cost of each change of voice."""
    n, k = scores.shape
    if n == 0:
        return np.zeros(0, dtype=int)
    total = scores[0].copy()
    back = np.zeros((n, k), dtype=int)
    for i in range(1, n):
        cost = BREAK_COST if breaks[i] else SWITCH_COST
        options = total[:, None] - cost * (1 - np.eye(k))  # options[from, to]
        back[i] = np.argmax(options, axis=0)
        total = options[back[i], np.arange(k)] + scores[i]
    path = np.zeros(n, dtype=int)
    path[-1] = int(np.argmax(total))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def pieces_from_words(words: list[Word], voices: np.ndarray, margins: np.ndarray, pause: float = PAUSE_S
                      ) -> list[Piece]:
    """Runs of one voice's words, cut at punctuation and at pauses of `pause` s; a piece's margin is its words'
    mean. Words snapped to speech regions (winloss.audio.timing) have gaps only at real silences: any cuts."""
    pieces: list[Piece] = []
    run: list[int] = []
    for i, word in enumerate(words):
        run.append(i)
        nxt = i + 1 if i + 1 < len(words) else None
        if (nxt is None or voices[nxt] != voices[i] or word.text.rstrip().endswith(SPLIT_AFTER)
                or words[nxt].start - word.end >= pause):
            text = "".join(words[j].text for j in run).strip()
            if text:
                start, end = words[run[0]].start, max(words[run[-1]].end, words[run[0]].start + 0.02)
                pieces.append(Piece(start, end, text, int(voices[i]), round(float(np.mean(margins[run])), 4)))
            run = []
    return pieces


def pieces_from_segments(segments: list[Segment]) -> list[Piece]:
    """One voice: whisper's words cut at punctuation and pauses."""
    words = words_of(segments)
    return pieces_from_words(words, np.zeros(len(words), dtype=int), np.ones(len(words)))


def diarize(audio: np.ndarray, segments: list[Segment], max_speakers: int, known_speakers: int = 0) -> Diarization:
    words = words_of(segments)
    params = {"method": "resemblyzer-windows+ward+viterbi", "max_speakers": max_speakers,
              "known_speakers": known_speakers, "window_s": WINDOW_S}
    if not words:
        return Diarization([], 0, 0.0, [], params)
    windows = cut_windows(speech_regions(words))
    vectors = embed_windows(audio, windows)
    lengths = np.array([w.end - w.start for w in windows])
    reliable = np.flatnonzero(lengths >= RELIABLE_S)
    if reliable.size < 4:  # too little long speech to find voices: use everything there is
        reliable = np.arange(len(windows))
    count = speaker_count(vectors[reliable], max_speakers, known_speakers)
    params["closest_pair"] = {str(k): round(v, 3) for k, v in sorted(count.closest.items())}
    centroids = centroids_of(vectors[reliable], count.labels)
    warns = [f"speaker count unsure: {count.unsure}"] if count.unsure else []
    if count.count == 1:
        voice = [round(float(x), 4) for x in centroids[0]]
        zeros = np.zeros(len(words), dtype=int)
        pieces = pieces_from_words(snap_words(words, vad_regions(audio)), zeros, np.ones(len(words)), SNAPPED_PAUSE_S)
        return Diarization(pieces, 1, 1.0, warns, params, [voice], [(w.start, w.end, 0) for w in words])

    scores = word_scores(words, windows, vectors @ centroids.T)
    voices = viterbi(scores, breaks_before(words))
    ranked = np.sort(scores, axis=1)
    own = scores[np.arange(len(words)), voices]
    margins = own - np.where(ranked[:, -1] == own, ranked[:, -2], ranked[:, -1])
    # Voices numbered by first speech, so the output does not depend on clustering order.
    order = list(dict.fromkeys(voices.tolist()))
    renumber = np.zeros(centroids.shape[0], dtype=int)
    renumber[order] = np.arange(len(order))
    voices = renumber[voices]
    pieces = pieces_from_words(snap_words(words, vad_regions(audio)), voices, margins, SNAPPED_PAUSE_S)
    voice_prints = [[round(float(x), 4) for x in centroids[old]] for old in order]

    alike = _closest_pair(centroids)
    params["centroid_similarity"] = round(alike, 3)
    n_words = np.array([len(p.text.split()) for p in pieces])
    unsure_words = int(n_words[np.array([p.margin < UNSURE_MARGIN for p in pieces])].sum())
    sure = 1 - unsure_words / max(int(n_words.sum()), 1)
    if alike > ALIKE_VOICES:
        warns.append(f"two voices sound alike (similarity {alike:.2f}); who said what may be wrong")
    if unsure_words:
        warns.append(f"{unsure_words} of {int(n_words.sum())} words are in turns that could belong to either of two voices")
    return Diarization(pieces, len(order), round(float(sure), 3), warns, params, voice_prints,
                       [(w.start, w.end, int(v)) for w, v in zip(words, voices)])
