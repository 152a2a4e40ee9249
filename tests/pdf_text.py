from io import BytesIO

from pypdf import PdfReader


def pdf_text(pdf_bytes: bytes) -> str:
    """All text of a PDF, whitespace collapsed, as a person reading it would see it."""
    assert pdf_bytes.startswith(b"%PDF-"), "not a PDF"
    reader = PdfReader(BytesIO(pdf_bytes))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
