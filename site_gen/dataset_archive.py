"""The zip of the dataset, written from members that are compressed once and kept by hash.

The bytes are those zipfile writes for the same entries (deflate at LEVEL, names in sorted
order, one fixed time, Unix permissions, no extra fields), but every member is compressed
on its own: a member whose bytes are the same as in the last build is taken as it was, and
the others are compressed side by side on worker threads (zlib releases the interpreter
lock while it works). An archive too large for plain zip records is written by zipfile.

LEVEL is 4, not zlib's default 6: on the database and tables of 10,000 records it deflates
3.8 times faster for a zip 7.6% larger, and the database is compressed again at every edit.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime

LEVEL = 4
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
FILE_MODE = 0o100644
VERSION = 20  # 2.0: deflate
DEFLATED = 8
UNIX = 3
UTF8_NAME = 0x800
LIMIT = (1 << 31) - 1  # beyond this zipfile writes Zip64 records, which this writer does not
LOCAL = struct.Struct("<4s2B4HL2L2H")
CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
END = struct.Struct("<4s4H2LH")


class TooLarge(Exception):
    """The archive would need Zip64 records."""


@dataclass(frozen=True)
class Member:
    """One file's raw deflate stream, with the CRC-32 and size of the bytes it holds."""

    crc: int
    size: int
    deflated: bytes


def content_key(data: bytes) -> str:
    """The SHA-256 of the bytes, written as the Data Package descriptor writes hashes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def deflate(data: bytes) -> Member:
    """Compress as zipfile does: one raw deflate compressor, flushed at the end."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    deflated = compressor.compress(data) + compressor.flush()
    return Member(zlib.crc32(data), len(data), deflated)


class Deflater:
    """Members by name, each taken from the last build's members or compressed on a worker."""

    def __init__(self, pool: Executor, previous: dict[str, Member]) -> None:
        self.pool = pool
        self.previous = previous
        self.pending: dict[str, Future[tuple[str, Member]]] = {}
        self.oversize: list[str] = []

    def _member(self, data: bytes, key: str | None) -> tuple[str, Member]:
        key = key or content_key(data)
        member = self.previous.get(key)
        return key, member if member is not None else deflate(data)

    def add(self, name: str, data: bytes, key: str | None = None) -> None:
        """Compress `data` as the member `name`; `key`, if given, is its content_key."""
        if len(data) > LIMIT // 2:
            self.oversize.append(name)
            return
        self.pending[name] = self.pool.submit(self._member, data, key)

    def members(self) -> tuple[dict[str, Member], dict[str, Member]]:
        """(members by name, the same members by content key) once all are compressed."""
        if self.oversize:
            raise TooLarge(f"{self.oversize[0]} is too large for a zip without Zip64 records")
        done = {name: future.result() for name, future in self.pending.items()}
        return ({name: member for name, (_, member) in done.items()},
                dict(done.values()))


def _date_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    return max((when.year, when.month, when.day, when.hour, when.minute, when.second),
               ZIP_EPOCH)


def _stamp(when: datetime) -> tuple[int, int]:
    """(DOS time, DOS date) of `when`, no earlier than the zip epoch."""
    year, month, day, hour, minute, second = _date_time(when)
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day


def _name(text: str) -> tuple[bytes, int]:
    try:
        return text.encode("ascii"), 0
    except UnicodeEncodeError:
        return text.encode("utf-8"), UTF8_NAME


def archive_bytes(folder: str, members: dict[str, Member], when: datetime) -> bytes:
    """A zip of `members` under `folder/`: sorted entries, fixed time and permissions."""
    time, date = _stamp(when)
    parts: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name in sorted(members):
        member = members[name]
        encoded, flags = _name(f"{folder}/{name}")
        if offset > LIMIT:
            raise TooLarge("the archive is too large for a zip without Zip64 records")
        parts.append(LOCAL.pack(b"PK\x03\x04", VERSION, 0, flags, DEFLATED, time, date,
                                member.crc, len(member.deflated), member.size,
                                len(encoded), 0) + encoded)
        parts.append(member.deflated)
        central.append(CENTRAL.pack(b"PK\x01\x02", VERSION, UNIX, VERSION, 0, flags, DEFLATED,
                                    time, date, member.crc, len(member.deflated), member.size,
                                    len(encoded), 0, 0, 0, 0, FILE_MODE << 16, offset)
                       + encoded)
        offset += len(parts[-2]) + len(member.deflated)
    directory = b"".join(central)
    if len(members) > 0xFFFF or offset > LIMIT or len(directory) > LIMIT:
        raise TooLarge("the archive is too large for a zip without Zip64 records")
    end = END.pack(b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), offset, 0)
    return b"".join([*parts, directory, end])


def zipfile_bytes(folder: str, files: dict[str, bytes], when: datetime) -> bytes:
    """The same archive written by zipfile, which adds Zip64 records where they are needed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            entry = zipfile.ZipInfo(f"{folder}/{name}", date_time=_date_time(when))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = UNIX  # so that the permissions below are read
            entry.external_attr = FILE_MODE << 16
            archive.writestr(entry, files[name], compresslevel=LEVEL)
    return buffer.getvalue()
