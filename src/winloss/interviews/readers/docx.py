"""Word .docx transcripts (Teams, Otter, Rev, Descript and Meet all offer one): the paragraphs become text lines,
and the lines are read like a text or markdown transcript. Table cells (some exports lay turns out as a table)
are read row by row, cells joined by two spaces.
"""
from __future__ import annotations

import io
import zipfile

from winloss.interviews.readers.common import ReaderError


def is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        return "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return False


def docx_text(data: bytes) -> str:
    """The document's text, one paragraph (or table row) a line."""
    import docx  # python-docx: only needed for .docx files

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for a damaged package
        raise ReaderError(f"damaged .docx: {exc}") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("  ".join(cell.text.strip() for cell in row.cells if cell.text.strip()))
    return "\n".join(lines)
