"""ONE safe reader for every input file and ONE atomic writer for every output.

Stable API (other modules call these names; keep them):

``read_text(path, *, what, error=ExposureError, max_bytes=MAX_INPUT_BYTES, max_rows=MAX_ROWS,
max_columns=MAX_COLUMNS) -> InputText``
    The text of a holdings, deals, scenarios or universe file. Refuses, with one ``error`` line naming
    the path and the fix: a missing path; anything but a regular file (a folder, a named pipe (FIFO), a
    character or block device, a socket), found with ``fstat`` on a non-blocking descriptor, so a FIFO
    or ``/dev/zero`` never hangs; a file above ``max_bytes`` (checked with ``fstat`` BEFORE reading, and
    again on the bytes read, in case it grew); more than ``max_rows`` lines or ``max_columns`` fields on a
    line; an Excel workbook; NUL bytes (binary files).
``read_bytes(path, *, what, error=ExposureError, max_bytes=MAX_INPUT_BYTES) -> bytes``
    The same checks without decoding (used for the JSON market-data cache).
``decode(raw, name, *, error=ExposureError) -> tuple[str, str | None]``
    The one encoding rule: UTF-16 when the bytes start with a UTF-16 byte-order mark; else UTF-8 (a
    UTF-8 BOM is dropped); else Windows-1252; else latin-1 (which decodes any byte). The second value
    is a note (``"the file is not UTF-8; read it as Windows-1252."``) when the file was not UTF-8.
``check_output(path, *, inputs=(), folder=False) -> Path``
    Refuses, before any work is done, an output that would touch an input of the run (the same file by
    path, symlink or hard link; anything inside an input folder such as the market-data cache), that
    is not a regular file (``/dev/null``, a FIFO, a device; a folder unless ``folder=True``), or whose
    folder is missing or cannot be written.
``atomic_write(path, data, *, inputs=()) -> Path``
    :func:`check_output`, then write through a temporary file in the same folder, ``fsync`` and an
    atomic rename: an interrupted run leaves the old file (or none), never half a file. A full disk or
    a refused write is one :class:`OutputError` line.
``csv_safe(frame) -> DataFrame`` and ``frame_to_csv(frame, index=...) -> str``
    CSV for spreadsheets: text cells beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return get a leading ``'`` so no spreadsheet runs them as formulas. Numeric columns are left alone
    (a negative weight stays a number).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from exposure.errors import ExposureError, OutputError, located

if TYPE_CHECKING:
    import pandas as pd

#: Largest input file read, in bytes (20 MiB: about 200,000 holdings or deals).
MAX_INPUT_BYTES = 20 * 1024 * 1024
#: Most lines in an input file (a header, a preamble and rows).
MAX_ROWS = 200_000
#: Most fields on one line of an input file (a 600,000-column file would otherwise take half a minute).
MAX_COLUMNS = 500
#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class InputText:
    """Decoded text of an input file: ``text``, the ``encoding`` used and a ``note`` when it was not UTF-8."""

    text: str
    encoding: str
    note: str | None = None


def read_text(path: str | os.PathLike[str], *, what: str, error: type[ExposureError] = ExposureError,
              max_bytes: int = MAX_INPUT_BYTES, max_rows: int = MAX_ROWS,
              max_columns: int = MAX_COLUMNS) -> InputText:
    """Read an input file safely (see the module docstring); ``what`` names it in messages (``"deals"``)."""
    name = str(path)
    text, note = decode(read_bytes(path, what=what, error=error, max_bytes=max_bytes), name, error=error)
    check_shape(text, name, what=what, error=error, max_rows=max_rows, max_columns=max_columns)
    encoding = "UTF-8" if note is None else note.rsplit(" ", 1)[-1].rstrip(".")
    return InputText(text=text, encoding=encoding, note=note)


def read_bytes(path: str | os.PathLike[str], *, what: str, error: type[ExposureError] = ExposureError,
               max_bytes: int = MAX_INPUT_BYTES, form: str = "CSV file") -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (checked before reading); the first half of
    :func:`read_text`, for inputs that are not CSV text (the JSON market-data cache: ``form="JSON file"``)."""
    name = str(path)
    fix = f"give the path of the {what} {form}."
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise error(located("file not found", file=name, fix=f"check the path of the {what} {form}.")) from None
    except IsADirectoryError:  # Windows refuses to open folders
        raise error(located("is a folder, not a file", file=name, fix=fix)) from None
    except OSError as problem:
        raise error(located(f"cannot open the file ({problem.strerror or problem})", file=name,
                            fix="check the path and its permissions.")) from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        raise error(located(f"{_kind(info.st_mode)}, not a regular file", file=name, fix=fix))
    with os.fdopen(descriptor, "rb") as handle:
        if info.st_size > max_bytes:
            raise error(located(f"file is {info.st_size / 1e6:.0f} MB; {what} files are limited to "
                                f"{max_bytes / 1e6:.0f} MB", file=name, fix="split it, or keep the rows you need."))
        try:
            raw = handle.read(max_bytes + 1)
        except OSError as problem:
            raise error(located(f"cannot read the file ({problem.strerror or problem})", file=name,
                                fix="check the file and its permissions.")) from None
    if len(raw) > max_bytes:
        raise error(located(f"file grew beyond the {max_bytes / 1e6:.0f} MB limit while being read", file=name,
                            fix="wait until it is fully written, then run again."))
    return raw


def decode(raw: bytes, name: str = "<input>", *, error: type[ExposureError] = ExposureError) -> tuple[str, str | None]:
    """Text of an input file and a note when it was not UTF-8; refuses workbooks and binary files."""
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise error(located("this is an Excel workbook, not a CSV file", file=name,
                            fix="open it and save as 'CSV UTF-8 (comma delimited)'."))
    text, note = None, None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    if text is None:
        try:
            text, encoding = raw.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            text, encoding = raw.decode("latin-1"), "latin-1"
        note = f"the file is not UTF-8; read it as {encoding}."
    if "\x00" in text:
        raise error(located("the file contains NUL bytes: it is not a text CSV", file=name,
                            fix="save it as UTF-8 comma-separated values."))
    return text, note


def check_shape(text: str, name: str, *, what: str, error: type[ExposureError] = ExposureError,
                max_rows: int = MAX_ROWS, max_columns: int = MAX_COLUMNS) -> None:
    """Refuse more than ``max_rows`` lines or more than ``max_columns`` fields on a line (cheap, before parsing)."""
    lines = max(text.count("\n"), text.count("\r"))
    if lines > max_rows:
        raise error(located(f"{lines:,} lines; {what} files are limited to {max_rows:,}", file=name,
                            fix="split the file, or aggregate its rows first."))
    for number, line in enumerate(text.splitlines(), start=1):
        fields = 1 + max(line.count(d) for d in _DELIMITERS)
        if fields > max_columns:
            raise error(located(f"{fields:,} fields; {what} files are limited to {max_columns:,} columns",
                                file=name, row=number, fix="keep only the columns the file needs."))


def check_output(path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str] | None] = (),
                 folder: bool = False) -> Path:
    """Refuse an output path before the work starts (see the module docstring); returns it as a Path."""
    target = Path(path).expanduser()
    fix = "choose another --out path."
    for source in inputs:
        if source is None:
            continue
        source = Path(source).expanduser()
        if _same(target, source):
            raise OutputError(located(f"refusing to write over the input file {source}", file=target, fix=fix))
        if source.is_dir() and _inside(target, source):
            raise OutputError(located(f"refusing to write inside {source}, which this run reads", file=target,
                                      fix=fix))
    if target.exists() or target.is_symlink():
        mode = os.stat(target).st_mode if target.exists() else 0
        if folder and stat.S_ISDIR(mode):
            _check_writable(target, target, fix)
            return target
        if not stat.S_ISREG(mode):
            kind = _kind(mode) if target.exists() else "a broken symbolic link"
            wanted = "a folder" if folder else "a regular file"
            raise OutputError(located(f"{kind}, not {wanted}; --out never replaces it", file=target, fix=fix))
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(located(f"folder {parent} does not exist", file=target, fix="create it or " + fix))
    _check_writable(parent, target, fix)
    return target


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *,
                 inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically, after :func:`check_output`; returns the path."""
    target = check_output(path, inputs=inputs)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600 files; outputs get the usual permissions
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except OSError as problem:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise OutputError(located(f"cannot write the file ({problem.strerror or problem}); nothing was written",
                                  file=target, fix="free some disk space or choose another --out path.")) from None
    except BaseException:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise
    return target


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and text index) cannot start a spreadsheet formula (see FORMULA_STARTS)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map(_escape_cell)
    if not pd.api.types.is_numeric_dtype(out.index):
        out.index = out.index.map(_escape_cell).rename(out.index.name)
    return out


def frame_to_csv(frame: pd.DataFrame, *, index: bool) -> str:
    """``frame`` as CSV text with formula-like text cells escaped (:func:`csv_safe`)."""
    return csv_safe(frame).to_csv(index=index)


def _escape_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "is a folder"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "is a character device"
    if stat.S_ISBLK(mode):
        return "is a block device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is a special file"


def _same(target: Path, source: Path) -> bool:
    """The same file: one path, a symlink to it or a hard link (samefile), or the same resolved path."""
    try:
        if target.exists() and source.exists() and os.path.samefile(target, source):
            return True
    except OSError:
        pass
    return target.resolve() == source.resolve()


def _inside(target: Path, folder: Path) -> bool:
    try:
        target.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _check_writable(folder: Path, target: Path, fix: str) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(located(f"folder {folder} cannot be written (permission denied)", file=target,
                                  fix=fix))
