"""Zip members deflated in independent pieces: one valid stream, the bytes of a fresh build,
and an edit compresses only the pieces it touched."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_gen.dataset_archive import archive_bytes, zipfile_bytes
from site_gen.dataset_database import PAGE_SIZE
from site_gen.dataset_deflate import (
    BLOCK,
    LONGEST,
    PIECE,
    Deflater,
    Member,
    Piece,
    PieceKey,
    TooLarge,
    crc32_combine,
    cuts,
    deflate,
    file_pieces,
)

WHEN = datetime(2022, 3, 3, 12, 30, 59)


def _text(lines: int, seed: int = 1) -> bytes:
    """CSV-like lines of varied length, as a table's file has."""
    rng = random.Random(seed)
    return b"".join(f"e{i:06d},{'x' * rng.randrange(20, 400)},{rng.random()}\r\n".encode()
                    for i in range(lines))


def _binary(size: int, seed: int = 2) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.choice(b"\x00\x00\x00\x01abc\n") for _ in range(size))


def _add(files: dict[str, tuple[bytes, bool]], members: dict[str, Member] | None = None,
         pieces: dict[PieceKey, Piece] | None = None) -> tuple[
        dict[str, Member], dict[PieceKey, Piece], int]:
    """Members by name, the pieces kept and how many pieces were compressed anew."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        deflater = Deflater(pool, members or {}, pieces or {})
        for name, (data, text) in files.items():
            deflater.add(name, data, text=text)
        done, _, kept = deflater.members()
    return done, kept, deflater.made


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_crc32_combine_is_the_crc_of_the_joined_bytes(first: bytes, second: bytes) -> None:
    assert crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second)) == zlib.crc32(
        first + second)


@pytest.mark.parametrize("text", [True, False])
def test_pieces_join_into_one_valid_stream(text: bool) -> None:
    data = _text(6000) if text else _binary(5 * PIECE + 123)
    member = deflate(data, text)
    assert len(member.pieces) > 3
    inflater = zlib.decompressobj(-15)
    assert inflater.decompress(member.deflated) == data
    assert inflater.eof and not inflater.unused_data
    assert (member.crc, member.size) == (zlib.crc32(data), len(data))
    ends = cuts(data, text)
    assert ends[-1] == len(data) and ends == sorted(set(ends))
    assert all(b - a >= PIECE for a, b in zip([0, *ends[:-2]], ends[:-1], strict=True))
    if text:
        assert all(data[end - 1:end] == b"\n" for end in ends)


def test_a_member_of_one_piece_is_what_zipfile_writes() -> None:
    data = _text(100)
    assert len(data) < PIECE
    files = {"small.csv": data, "empty.txt": b""}
    done, _, _ = _add({name: (content, True) for name, content in files.items()})
    assert archive_bytes("facts", done, WHEN) == zipfile_bytes("facts", files, WHEN)


def test_an_edit_compresses_only_the_pieces_it_touched_and_gives_a_fresh_builds_bytes(
        tmp_path: Path) -> None:
    text, binary = _text(12000), _binary(10 * PIECE)
    done, kept, made = _add({"t.csv": (text, True), "db.sqlite": (binary, False)})
    assert made == len(done["t.csv"].pieces) + len(done["db.sqlite"].pieces)
    middle = text.index(b"\r\ne006000,") + 2
    grown = text[:middle] + b"e006000,longer" + text[middle + 8:]  # a line grows
    patched = binary[:4 * PIECE + 10] + b"\xff" + binary[4 * PIECE + 11:]  # a page changes
    files = {"t.csv": (grown, True), "db.sqlite": (patched, False)}
    again, _, made = _add(files, pieces=kept)
    assert made <= 3  # the piece of the grown line (and perhaps the next), the changed page
    fresh, _, _ = _add(files)
    assert again == fresh
    data = archive_bytes("facts", again, WHEN)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.read("facts/t.csv") == grown
    assert archive.read("facts/db.sqlite") == patched
    if shutil.which("unzip"):
        (tmp_path / "facts.zip").write_bytes(data)
        subprocess.run(["unzip", "-tq", str(tmp_path / "facts.zip")], check=True,
                       capture_output=True)


def test_a_member_unchanged_is_taken_whole_and_keeps_its_pieces() -> None:
    text = _text(6000)
    with ThreadPoolExecutor(max_workers=2) as pool:
        deflater = Deflater(pool, {}, {})
        deflater.add("t.csv", text, "key")
        _, members, pieces = deflater.members()
        deflater = Deflater(pool, members, pieces)
        deflater.add("t.csv", text, "key")
        done, by_key, kept = deflater.members()
    assert deflater.made == 0 and done["t.csv"] is members["key"] is by_key["key"]
    assert kept == pieces  # for the build after, when the member changes


@pytest.mark.parametrize(("change", "made"), [
    (lambda data: data[:4 * PIECE + 9] + b"\xff" + data[4 * PIECE + 10:], 1),  # a page
    (lambda data: data[:-1] + b"\xff", 1),  # the last piece, same length
    (lambda data: data + _binary(PIECE // 2, seed=3), 2),  # the last piece grows: cut in two
    (lambda data: data[:7 * PIECE + 5], 1),  # cut inside a piece
    (lambda data: data[:9 * PIECE], 1),  # the same bytes, but now the last piece
    (lambda data: data, 0),
])
def test_pieces_of_the_last_version_are_taken_where_their_bytes_are_the_same(
        change: Any, made: int) -> None:
    binary = _binary(10 * PIECE + 77)
    first, _, _ = _add({"db.sqlite": (binary, False)})
    changed = change(binary)
    with ThreadPoolExecutor(max_workers=2) as pool:
        deflater = Deflater(pool, {}, {})  # no pieces by content: all but the same compressed
        deflater.add("db.sqlite", changed, text=False, like=(binary, first["db.sqlite"]))
        done, _, kept = deflater.members()
    assert done["db.sqlite"] == deflate(changed, text=False)
    assert deflater.made == made
    assert set(kept) == {key for key, _ in done["db.sqlite"].pieces}
    inflater = zlib.decompressobj(-15)
    assert inflater.decompress(done["db.sqlite"].deflated) == changed and inflater.eof


def test_a_block_added_early_moves_the_later_pieces_which_are_found_by_their_bytes() -> None:
    """A row that grows can take the database one page more, and every page after it moves
    along: cut between blocks picked by their content, the later pieces move with them."""
    binary = _binary(12 * PIECE)
    first, kept, _ = _add({"db.sqlite": (binary, False)})
    assert len(first["db.sqlite"].pieces) > 5
    offset = 3 * BLOCK
    changed = binary[:offset] + _binary(BLOCK, seed=4) + binary[offset:]
    assert [end + BLOCK for end in cuts(binary, False)[1:]] == cuts(changed, False)[1:]
    with ThreadPoolExecutor(max_workers=2) as pool:
        deflater = Deflater(pool, {}, kept)
        deflater.add("db.sqlite", changed, text=False, like=(binary, first["db.sqlite"]))
        done, _, _ = deflater.members()
    assert deflater.made == 1  # the first piece, which holds the new block
    assert done["db.sqlite"] == deflate(changed, text=False)
    assert all(end % BLOCK == 0 for end in cuts(changed, False)[:-1])
    assert BLOCK == PAGE_SIZE


@pytest.mark.parametrize("size", [0, 1, BLOCK, PIECE, PIECE + 1, PIECE + BLOCK, LONGEST,
                                  LONGEST + 1, 7 * PIECE + 5])
@pytest.mark.parametrize("kind", ["random", "never picked"])
def test_a_file_read_a_piece_at_a_time_is_cut_and_compressed_as_its_bytes(
        tmp_path: Path, size: int, kind: str) -> None:
    """The database of a one-off build is compressed from its file, never held whole."""
    assert zlib.crc32(bytes(BLOCK)) & 15, "zero blocks must never be picked for this test"
    data = random.Random(size).randbytes(size) if kind == "random" else bytes(size)
    path = tmp_path / "db.sqlite"
    path.write_bytes(data)
    with path.open("rb") as handle:
        pieces = list(file_pieces(handle))
    ends = cuts(data, text=False)
    sizes = [end - start for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    assert [len(piece) for piece, _ in pieces] == sizes
    assert b"".join(piece for piece, _ in pieces) == data
    assert [last for _, last in pieces] == [False] * (len(ends) - 1) + [True]
    with ThreadPoolExecutor(max_workers=1) as pool:  # the reader waits for the one worker
        deflater = Deflater(pool, {}, {})
        deflater.add_file("db.sqlite", str(path))
        done, _, _ = deflater.members()
    assert done["db.sqlite"] == deflate(data, text=False)


def test_a_file_too_large_for_a_plain_zip_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    path.write_bytes(bytes(1001))
    with ThreadPoolExecutor(max_workers=1) as pool:
        deflater = Deflater(pool, {}, {}, limit=1000)
        deflater.add_file("db.sqlite", str(path))
        with pytest.raises(TooLarge, match=r"db\.sqlite"):
            deflater.members()
