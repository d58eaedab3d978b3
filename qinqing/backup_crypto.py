"""Backups encrypted at rest: AES-256-GCM in chunks, with a key kept apart from the backups.

A backup holds every applicant's name, phone and ID number. The tar archive ``qinqing.backups`` writes is
encrypted before it is kept (``….tar.enc``); a copy carried off-site or a stolen disk reads as noise
without the key, and any change to the file (a flipped byte, a cut, chunks reordered or swapped from
another backup) fails the authentication: restore refuses it before anything is touched.

Layout::

    header   "QQBACKUP-ENC1" | key id (8 bytes) | nonce prefix (7 random bytes)
    chunks   flag (1 byte: 1 on the last) | length (4 bytes) | AES-GCM(chunk of ≤ 1 MiB)

Each chunk's nonce is the prefix, its number and its flag, and the header is its associated data
(the STREAM construction): a chunk cannot be moved, dropped, repeated or taken from another file, and a
file cut after any chunk but the last is refused. The key id (the first 8 bytes of the key's SHA-256)
tells "another key" apart from "damaged".

The key file holds one line, ``qinqing-backup-key-v1:`` and 32 random bytes in base64. It lives outside
``var/backups`` (``QINQING_BACKUP_KEY_FILE``, default ``var/backup.key``); docs/backup.md says to keep a
copy on paper or removable media in a safe, apart from the backup copies."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.management.base import CommandError

MAGIC = b"QQBACKUP-ENC1"
KEY_PREFIX = "qinqing-backup-key-v1:"
SUFFIX = ".enc"
_CHUNK = 1024 * 1024
_TAG = 16
_HEADER = len(MAGIC) + 8 + 7


class CryptoError(CommandError):
    """The key is missing or wrong, or an encrypted backup does not authenticate; in Chinese."""


def key_path() -> Path:
    """``QINQING_BACKUP_KEY_FILE``, or ``backup.key`` in var/ (beside var/backups, never inside it)."""
    return Path(settings.BACKUP_KEY_FILE or Path(settings.VAR_DIR) / "backup.key")


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:8]


def load_key(*, create: bool = False) -> tuple[bytes, bool]:
    """The backup key, and whether it was made just now (only with ``create`` and no key file yet)."""
    path = key_path()
    if not path.exists():
        if not create:
            raise CryptoError(f"找不到备份密钥 {path}：没有备份时用的密钥，无法解密备份。请放回密钥文件后重试。")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(KEY_PREFIX + base64.b64encode(key).decode() + "\n")
        return key, True
    if path.stat().st_mode & 0o077:
        raise CryptoError(f"备份密钥 {path} 的权限过宽（其他用户可读）：请执行 chmod 600 {path}。")
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        if not text.startswith(KEY_PREFIX):
            raise ValueError
        key = base64.b64decode(text[len(KEY_PREFIX) :], validate=True)
        if len(key) != 32:
            raise ValueError
    except ValueError:
        raise CryptoError(f"备份密钥 {path} 的内容无效：应是 backup 命令生成的一行密钥。") from None
    return key, False


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    if number >= 2**32:
        raise CryptoError("备份文件过大，无法加密。")
    return prefix + number.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def encrypt_file(source: Path, target: Path, key: bytes) -> None:
    """Encrypt ``source`` into a new file ``target`` (owner-only), chunk by chunk."""
    cipher = AESGCM(key)
    header = MAGIC + _key_id(key) + secrets.token_bytes(7)
    prefix = header[-7:]
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with source.open("rb") as plain, os.fdopen(descriptor, "wb") as out:
        out.write(header)
        number = 0
        chunk = plain.read(_CHUNK)
        while True:
            following = plain.read(_CHUNK)
            last = not following
            sealed = cipher.encrypt(_nonce(prefix, number, last), chunk, header)
            out.write((b"\x01" if last else b"\x00") + len(sealed).to_bytes(4, "big") + sealed)
            if last:
                break
            chunk, number = following, number + 1
        out.flush()
        os.fsync(out.fileno())


def decrypt_file(source: Path, target: Path, key: bytes) -> None:
    """Decrypt ``source`` into a new file ``target``; CryptoError (and no ``target``) unless every chunk
    authenticates, in order, up to a last one, with nothing after it."""
    cipher = AESGCM(key)
    damaged = f"备份文件无法解密，已损坏或被篡改，未做任何更改：{source}"
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with source.open("rb") as sealed_file, os.fdopen(descriptor, "wb") as out:
            header = sealed_file.read(_HEADER)
            if len(header) != _HEADER or not header.startswith(MAGIC):
                raise CryptoError(f"不是加密的亲清帮办备份：{source}")
            if header[len(MAGIC) : len(MAGIC) + 8] != _key_id(key):
                raise CryptoError(
                    f"备份文件 {source} 不是用本机的备份密钥（{key_path()}）加密的：请换用备份时的密钥，未做任何更改。"
                )
            prefix = header[-7:]
            number = 0
            while True:
                frame = sealed_file.read(5)
                if len(frame) != 5 or frame[0] not in (0, 1):
                    raise CryptoError(damaged + "（文件不完整）")
                last, length = frame[0] == 1, int.from_bytes(frame[1:], "big")
                if not _TAG <= length <= _CHUNK + _TAG:
                    raise CryptoError(damaged)
                sealed = sealed_file.read(length)
                if len(sealed) != length:
                    raise CryptoError(damaged + "（文件不完整）")
                try:
                    out.write(cipher.decrypt(_nonce(prefix, number, last), sealed, header))
                except InvalidTag:
                    raise CryptoError(damaged) from None
                if last:
                    break
                number += 1
            if sealed_file.read(1):
                raise CryptoError(damaged + "（末尾有多余内容）")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
