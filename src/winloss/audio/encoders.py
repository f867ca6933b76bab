"""Speaker encoders: audio windows in, one unit voice print per window out.

The one encoder that ships its weights inside a package is Resemblyzer's d-vector LSTM (GE2E, 256-d). It runs
here in numpy, reading the weights from the installed package's `pretrained.pt` without importing the package:
importing resemblyzer pulls in torch, librosa and numba, about 10 s of CPU on a cold start against ~20 s for
transcribing a study's worth of short files, and the network is three LSTM layers and a linear map. The result
matches resemblyzer.VoiceEncoder to float32 rounding (tests/test_audio_encoders.py). No stronger encoder can be
had offline: every ECAPA / WeSpeaker / TitaNet / CAM++ package on PyPI fetches its weights at run time
(docs/audio.md lists the packages checked).
"""
from __future__ import annotations

import importlib.util
import pickle
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

RATE = 16000
N_FFT, HOP, N_MELS = 400, 160, 40  # Resemblyzer's 25 ms window, 10 ms step, 40 mel channels
MIN_SAMPLES = RATE // 2  # shorter windows are zero-padded to this (a 0.5 s backchannel still gets a print)
BATCH = 256  # windows per LSTM pass (memory: batch x frames x 1024 floats per layer)


class SpeakerEncoder(Protocol):
    name: str

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        """One L2-normalised voice print per 16 kHz mono clip, in the order given."""


def mel_filters(rate: int = RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Slaney-style mel filterbank (librosa.filters.mel's default: slaney scale, slaney area norm)."""

    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), f / (200.0 / 3))

    def mel_to_hz(m):
        return np.where(m >= 15.0, 1000.0 * np.exp(np.log(6.4) / 27.0 * (m - 15.0)), m * (200.0 / 3))

    fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(rate / 2), n_mels + 2))
    ramps = edges[:, None] - fft_freqs[None, :]
    widths = np.diff(edges)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper)) * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=1)
def _stft_constants() -> tuple[np.ndarray, np.ndarray]:
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann
    return window, mel_filters()


def mel_power(wav: np.ndarray) -> np.ndarray:
    """Frames x 40 mel power spectrogram, as librosa.feature.melspectrogram computes it for Resemblyzer
    (centred frames, zero padding, power 2): what the encoder was trained on."""
    window, filters = _stft_constants()
    padded = np.pad(wav.astype(np.float32), N_FFT // 2)
    n = 1 + (padded.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(padded, (n, N_FFT), (padded.strides[0] * HOP, padded.strides[0]))
    spectrum = np.fft.rfft(frames * window, axis=1)
    power = (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)
    return power @ filters.T


def read_legacy_torch(path: Path) -> dict:
    """A checkpoint in torch's pre-1.6 (non-zip) format, as numpy arrays, without torch.

    The format: pickles of a magic number, a protocol version and system info; the object pickle, whose tensors
    point at storages by key; the list of storage keys; then each storage's raw bytes behind an int64 count.
    """
    dtypes = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64,
              "IntStorage": np.int32, "HalfStorage": np.float16, "ByteStorage": np.uint8}
    storages: dict[str, np.ndarray] = {}
    storage_types: dict[str, type] = {}

    @dataclass(frozen=True)
    class Lazy:
        key: str
        offset: int
        shape: tuple
        stride: tuple

    class StorageType:
        def __init__(self, name: str):
            self.dtype = dtypes[name]

    def rebuild(storage_key, offset, shape, stride, *_rest):
        return Lazy(storage_key, offset, tuple(shape), tuple(stride))

    class Reader(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("collections", "OrderedDict"):
                return OrderedDict
            if module == "torch._utils" and name == "_rebuild_tensor_v2":
                return rebuild
            if module == "torch" and name in dtypes:
                return StorageType(name)
            raise pickle.UnpicklingError(f"unexpected {module}.{name} in {path.name}")

        def persistent_load(self, saved_id):
            _kind, storage_type, key, _location, _numel = saved_id[:5]
            storage_types[key] = storage_type.dtype
            return key

    with open(path, "rb") as handle:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(handle)
        tree = Reader(handle).load()
        for key in pickle.load(handle):
            dtype = np.dtype(storage_types[key])
            count = int(np.frombuffer(handle.read(8), "<i8")[0])
            storages[key] = np.frombuffer(handle.read(count * dtype.itemsize), dtype)

    def resolve(node):
        if isinstance(node, Lazy):
            flat = storages[node.key]
            strides = tuple(s * flat.itemsize for s in node.stride)
            return np.lib.stride_tricks.as_strided(flat[node.offset:], node.shape, strides).copy()
        if isinstance(node, dict):
            return {k: resolve(v) for k, v in node.items()}
        return node

    return resolve(tree)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # exact identity; no overflow warnings on large negatives


class ResemblyzerEncoder:
    """Resemblyzer's VoiceEncoder forward pass: a 3-layer LSTM over mel frames, its last hidden state through
    a linear layer and a ReLU, L2-normalised."""

    name = "resemblyzer"

    def __init__(self, weights: Path | None = None):
        state = read_legacy_torch(weights or _resemblyzer_weights())["model_state"]
        self.layers = []
        for i in range(3):
            w_ih, w_hh = state[f"lstm.weight_ih_l{i}"], state[f"lstm.weight_hh_l{i}"]
            bias = state[f"lstm.bias_ih_l{i}"] + state[f"lstm.bias_hh_l{i}"]
            self.layers.append((np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), bias))
        self.linear_w = np.ascontiguousarray(state["linear.weight"].T)
        self.linear_b = state["linear.bias"]

    def _forward(self, mels: list[np.ndarray]) -> np.ndarray:
        """Spectrograms (frames x 40), longest first -> one unit vector each.

        All lengths share one batch: the LSTM is causal, so a clip's embedding is the hidden state at its own
        last frame, and at step t only the clips still running (a prefix, as they are sorted) are computed.
        """
        lengths = np.array([len(m) for m in mels])
        batch, steps = len(mels), int(lengths[0])
        x = np.zeros((batch, steps, mels[0].shape[1]), np.float32)
        for i, mel in enumerate(mels):
            x[i, :len(mel)] = mel
        running = [int(np.sum(lengths > t)) for t in range(steps)]
        for w_ih, w_hh, bias in self.layers:
            hidden = w_hh.shape[0]
            # The input part of every step at once, as one 2-D product (numpy's stacked matmul is slower).
            gates_in = (x.reshape(batch * steps, -1) @ w_ih + bias).reshape(batch, steps, -1)
            h = np.zeros((batch, hidden), np.float32)
            c = np.zeros((batch, hidden), np.float32)
            out = np.zeros((batch, steps, hidden), np.float32)
            for t, n in enumerate(running):
                g = gates_in[:n, t] + h[:n] @ w_hh
                i, f = _sigmoid(g[:, :hidden]), _sigmoid(g[:, hidden:2 * hidden])
                cell, o = np.tanh(g[:, 2 * hidden:3 * hidden]), _sigmoid(g[:, 3 * hidden:])
                c[:n] = f * c[:n] + i * cell
                h[:n] = o * np.tanh(c[:n])
                out[:n, t] = h[:n]
            x = out
        raw = np.maximum(h @ self.linear_w + self.linear_b, 0.0)
        return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9)

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        mels = [mel_power(np.pad(c, (0, max(0, MIN_SAMPLES - c.size)))) for c in clips]
        order = sorted(range(len(mels)), key=lambda i: (-len(mels[i]), i))
        out = np.zeros((len(clips), self.linear_w.shape[1]), dtype=np.float32)
        for b in range(0, len(order), BATCH):
            chunk = order[b:b + BATCH]
            out[chunk] = self._forward([mels[i] for i in chunk])
        return out


def _resemblyzer_weights() -> Path:
    spec = importlib.util.find_spec("resemblyzer")  # locates the package without running its torch imports
    if spec is None or not spec.origin:
        raise RuntimeError("the resemblyzer package (which ships the speaker encoder's weights) is not installed")
    return Path(spec.origin).parent / "pretrained.pt"


@lru_cache(maxsize=1)
def speaker_encoder() -> SpeakerEncoder:
    return ResemblyzerEncoder()
