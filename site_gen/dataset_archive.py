"""The zip of the dataset, written from members compressed by dataset_deflate.

The entries are those zipfile writes (deflate, names in sorted order, one fixed time, Unix
permissions, no extra fields); a member compressed in one piece has the very bytes zipfile
gives it. An archive too large for plain zip records is written by zipfile.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from datetime import datetime

from site_gen.dataset_deflate import LEVEL, Member, TooLarge

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

__all__ = ["LIMIT", "TooLarge", "archive_bytes", "archive_parts", "content_key", "zipfile_bytes"]


def content_key(data: bytes) -> str:
    """The SHA-256 of the bytes, written as the Data Package descriptor writes hashes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


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
    return b"".join(archive_parts(folder, members, when))


def archive_parts(folder: str, members: dict[str, Member], when: datetime) -> list[bytes]:
    """The bytes of archive_bytes() in parts, the compressed pieces among them as they are:
    written one after the other, they need not be joined in memory."""
    time, date = _stamp(when)
    parts: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name in sorted(members):
        member = members[name]
        encoded, flags = _name(f"{folder}/{name}")
        if offset > LIMIT:
            raise TooLarge("the archive is too large for a zip without Zip64 records")
        compressed = member.compressed_size
        header = LOCAL.pack(b"PK\x03\x04", VERSION, 0, flags, DEFLATED, time, date,
                            member.crc, compressed, member.size, len(encoded), 0) + encoded
        parts.append(header)
        parts += member.parts
        central.append(CENTRAL.pack(b"PK\x01\x02", VERSION, UNIX, VERSION, 0, flags, DEFLATED,
                                    time, date, member.crc, compressed, member.size,
                                    len(encoded), 0, 0, 0, 0, FILE_MODE << 16, offset)
                       + encoded)
        offset += len(header) + compressed
    directory = b"".join(central)
    if len(members) > 0xFFFF or offset > LIMIT or len(directory) > LIMIT:
        raise TooLarge("the archive is too large for a zip without Zip64 records")
    end = END.pack(b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), offset, 0)
    return [*parts, directory, end]


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
