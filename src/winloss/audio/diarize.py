"""Who spoke when in a single-channel recording: voice embeddings over whisper's words, clustered.

The recording is cut into pieces at sentence and clause punctuation (where speakers change in
conversation) and at pauses. Each piece gets a Resemblyzer d-vector; the pieces long enough to
carry a reliable voice print are clustered (agglomerative, cosine, average linkage, the number of
speakers chosen by silhouette), every piece goes to its nearest speaker centroid, and short pieces
that the voice print cannot place follow their neighbours.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from winloss.audio.decode import RATE
from winloss.audio.transcribe import Segment, Word

SPLIT_AFTER = (".", "?", "!", ",", ";", ":")
PAUSE_S = 0.5  # a silence this long between words may be a change of speaker
RELIABLE_S = 1.0  # pieces shorter than this are placed, never used to find the speakers
MIN_WINDOW_S = 1.0  # a short piece is embedded over at least this much audio around its centre
SAME_VOICE = 0.86  # 2-voice centroids more similar than this are one voice (Resemblyzer cosine; telephone pairs reach 0.82)
ALIKE_VOICES = 0.75  # above this a split is kept but reported unsure (two callers on a phone line: 0.80)
MIN_SILHOUETTE = 0.08  # a split with less structure than this is not trusted
BATCH = 64  # partial utterances per encoder call
# Resemblyzer's 1.6 s partial utterances, per second of piece. Its default (1.3) overlaps them; the LSTM is the
# cost of diarization, and the lowest rate that still covers every frame (0.625) halves it.
PARTIAL_RATE = 0.625
UNSURE_MARGIN = 0.05  # a piece this close to two centroids is an unsure attribution


@dataclass(frozen=True)
class Piece:
    start: float
    end: float
    text: str
    speaker: int = 0
    margin: float = 1.0  # similarity to own speaker minus to the next one; 1.0 when nothing to tell apart


@dataclass
class Diarization:
    pieces: list[Piece]
    n_speakers: int
    confidence: float  # share of speech time attributed with a clear margin, 0..1
    warnings: list[str]
    params: dict


def pieces_from_segments(segments: list[Segment]) -> list[Piece]:
    """Cut whisper output where a speaker change is plausible: punctuation and pauses."""
    pieces: list[Piece] = []
    for seg in segments:
        if not seg.words:
            pieces.append(Piece(seg.start, seg.end, seg.text))
            continue
        current: list[Word] = []
        for i, word in enumerate(seg.words):
            current.append(word)
            nxt = seg.words[i + 1] if i + 1 < len(seg.words) else None
            if nxt is None or word.text.rstrip().endswith(SPLIT_AFTER) or nxt.start - word.end >= PAUSE_S:
                text = "".join(w.text for w in current).strip()
                if text:
                    pieces.append(Piece(current[0].start, max(current[-1].end, current[0].start + 0.02), text))
                current = []
    return pieces


@lru_cache(maxsize=1)
def voice_encoder():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # resemblyzer imports pkg_resources through webrtcvad
        from resemblyzer import VoiceEncoder

    return VoiceEncoder(device="cpu", verbose=False)


def embed_pieces(audio: np.ndarray, pieces: list[Piece]) -> np.ndarray:
    """One L2-normalised d-vector per piece: Resemblyzer's embed_utterance, batched over all pieces."""
    import torch

    encoder = voice_encoder()
    from resemblyzer.audio import (
        wav_to_mel_spectrogram,  # after voice_encoder(), which silences its import
    )
    mels, owner = [], []
    for i, piece in enumerate(pieces):
        centre, half = (piece.start + piece.end) / 2, max(piece.end - piece.start, MIN_WINDOW_S) / 2
        lo, hi = max(0, int((centre - half) * RATE)), min(audio.size, int((centre + half) * RATE))
        wav = audio[lo:hi].astype(np.float32)
        wav_slices, mel_slices = encoder.compute_partial_slices(len(wav), rate=PARTIAL_RATE, min_coverage=0.75)
        if wav_slices[-1].stop >= len(wav):
            wav = np.pad(wav, (0, wav_slices[-1].stop - len(wav)))
        mel = wav_to_mel_spectrogram(wav)
        mels += [mel[s] for s in mel_slices]
        owner += [i] * len(mel_slices)
    stacked = np.asarray(mels, dtype=np.float32)
    with torch.no_grad():
        partials = np.concatenate([encoder(torch.from_numpy(stacked[b : b + BATCH])).numpy()
                                   for b in range(0, len(stacked), BATCH)])
    owner_arr = np.asarray(owner)
    vectors = np.stack([partials[owner_arr == i].mean(axis=0) for i in range(len(pieces))])
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def cluster(vectors: np.ndarray, weights: np.ndarray, max_speakers: int) -> tuple[np.ndarray, float]:
    """Labels 0..k-1 for the reliable pieces and the split's silhouette; all zeros when one voice is likelier."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    if n < 3 or max_speakers < 2:
        return np.zeros(n, dtype=int), 0.0
    tree = linkage(vectors, method="average", metric="cosine")
    best, best_score = np.zeros(n, dtype=int), -1.0
    for k in range(2, min(max_speakers, n - 1) + 1):
        labels = fcluster(tree, k, criterion="maxclust") - 1
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(vectors, labels, metric="cosine")
        if score > best_score + 0.02:  # more speakers only when clearly better: interviews are mostly 2
            best, best_score = labels, score
    if best_score < MIN_SILHOUETTE:
        return np.zeros(n, dtype=int), best_score
    centroids = _centroids(vectors, best, weights)
    sims = centroids @ centroids.T
    if np.max(sims[~np.eye(len(centroids), dtype=bool)]) > SAME_VOICE and len(centroids) == 2:
        return np.zeros(n, dtype=int), best_score
    return best, float(best_score)


def _centroids(vectors: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    rows = []
    for k in range(labels.max() + 1):
        mask = labels == k
        c = (vectors[mask] * weights[mask, None]).sum(axis=0)
        rows.append(c / (np.linalg.norm(c) or 1.0))
    return np.asarray(rows)


def diarize(audio: np.ndarray, segments: list[Segment], max_speakers: int) -> Diarization:
    pieces = pieces_from_segments(segments)
    params = {"method": "resemblyzer+agglomerative", "max_speakers": max_speakers, "pause_s": PAUSE_S,
              "reliable_s": RELIABLE_S, "same_voice": SAME_VOICE, "min_silhouette": MIN_SILHOUETTE}
    if not pieces:
        return Diarization([], 0, 0.0, [], params)
    vectors = embed_pieces(audio, pieces)
    durations = np.array([p.end - p.start for p in pieces])
    reliable = np.flatnonzero(durations >= RELIABLE_S)
    if reliable.size < 3:  # too little speech to find voices: use everything we have
        reliable = np.arange(len(pieces))
    labels, silhouette = cluster(vectors[reliable], durations[reliable], max_speakers)
    k = int(labels.max()) + 1
    params["silhouette"] = round(float(silhouette), 3)
    if k == 1:
        placed = [Piece(p.start, p.end, p.text, 0, 1.0) for p in pieces]
        return Diarization(placed, 1, 1.0, [], params)

    centroids = _centroids(vectors[reliable], labels, durations[reliable])
    alike = float(np.max((centroids @ centroids.T)[~np.eye(k, dtype=bool)]))
    params["centroid_similarity"] = round(alike, 3)
    sims = vectors @ centroids.T
    order = np.argsort(-sims, axis=1)
    own = order[:, 0]
    margin = sims[np.arange(len(pieces)), own] - sims[np.arange(len(pieces)), order[:, 1]]
    own = _follow_neighbours(pieces, own, margin, durations)
    placed = [Piece(p.start, p.end, p.text, int(s), round(float(m), 4)) for p, s, m in zip(pieces, own, margin)]
    # Speakers numbered by first appearance, so the output does not depend on clustering order.
    first = {old: new for new, old in enumerate(dict.fromkeys(p.speaker for p in placed))}
    placed = [Piece(p.start, p.end, p.text, first[p.speaker], p.margin) for p in placed]
    sure = durations[margin >= UNSURE_MARGIN].sum() / max(durations.sum(), 1e-9)
    found = len(first)
    warns = []
    if alike > ALIKE_VOICES:
        warns.append(f"two voices sound alike (similarity {alike:.2f}); who said what may be wrong")
    unsure = int(np.sum(margin < UNSURE_MARGIN))
    if unsure:
        warns.append(f"{unsure} of {len(pieces)} pieces could belong to either of two voices")
    return Diarization(placed, found, round(float(sure), 3), warns, params)


def _follow_neighbours(pieces: list[Piece], own: np.ndarray, margin: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """A short, unsure piece between two pieces of one speaker, with no pause, is that speaker's."""
    own = own.copy()
    for i in range(1, len(pieces) - 1):
        if durations[i] >= RELIABLE_S or margin[i] >= UNSURE_MARGIN:
            continue
        prev, nxt = own[i - 1], own[i + 1]
        close = pieces[i].start - pieces[i - 1].end < PAUSE_S and pieces[i + 1].start - pieces[i].end < PAUSE_S
        if prev == nxt and close:
            own[i] = prev
    return own
