"""Files the hall keeps (issued exports, uploaded ledgers, issued notices): stored under random ASCII
names, never left half-written, and read back only if they still match the SHA-256 recorded when they
were kept. The one mechanism for every part: the ledger's archive and imports, the issued PDFs of minutes, notices and 督办单."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


class StoredFileError(Exception):
    """A kept file is missing, or no longer matches its recorded SHA-256."""

    def __init__(self, missing: bool):
        super().__init__("missing" if missing else "altered")
        self.missing = missing


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@contextmanager
def kept(folder: str, label: str, suffix: str, content: bytes, *, name: str | None = None) -> Iterator[str]:
    """Store ``content`` and yield its name; if the block (writing the row that records it) fails,
    the file is removed again, so a failure leaves neither a half-written nor an orphaned file.
    ``name`` replaces the dated name made from ``folder``, ``label`` and ``suffix``."""
    now = timezone.localtime()
    name = name or f"{folder}/{now:%Y/%m}/{label}-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(6)}{suffix}"
    stored = None
    try:
        stored = default_storage.save(name, ContentFile(content))
        yield stored
    except BaseException:
        target = stored or name
        if default_storage.exists(target):
            default_storage.delete(target)
        raise


def read_checked(name: str, sha256: str) -> bytes:
    """The kept file's bytes; StoredFileError if it is gone or altered."""
    try:
        with default_storage.open(name, "rb") as handle:
            content = handle.read()
    except OSError:
        raise StoredFileError(missing=True) from None
    if digest(content) != sha256:
        raise StoredFileError(missing=False)
    return content


def keep_document(model, owner_field: str, owner, *, name: str, filename: str, render: Callable[[], bytes]):
    """The kept document (a ``model`` row with ``file``, ``filename``, ``size``, ``sha256``) of ``owner``:
    rendered and stored the first time, returned as kept after. The caller holds ``owner``'s row lock,
    so two first downloads keep one file; if the row cannot be written, the stored file is removed. The
    one way issued minutes, notices and 督办单 are frozen."""
    document = model.objects.filter(**{owner_field: owner}).first()
    if document is not None:
        return document
    content = render()
    with kept("", "", ".pdf", content, name=f"{name}-{secrets.token_hex(6)}.pdf") as stored:
        return model.objects.create(
            **{owner_field: owner}, file=stored, filename=filename, size=len(content), sha256=digest(content)
        )


def keep_after_commit(keep: Callable[[int], object], pk: int, what: str) -> None:
    """Keep an issued document once the issuing transaction has committed. The issue stands even if this
    fails: the first download renders and keeps it then."""

    def _keep() -> None:
        try:
            keep(pk)
        except Exception:
            logger.exception("%s %s could not be kept at issue; it is kept at its first download", what, pk)

    transaction.on_commit(_keep)
