"""How a source file is read and preprocessed (:class:`ImportOptions`) and what a preview found."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from engine.corpus import text as T
from engine.corpus.corpus import DEFAULT_MODALITY
from engine.errors import InputError
from engine.options import build

_LANG_ALIASES = {"english": "en", "russian": "ru", "german": "de", "spanish": "es", "dutch": "nl",
                 "french": "fr", "italian": "it", "portuguese": "pt", "ukrainian": "uk"}


@dataclass(frozen=True)
class ImportOptions:
    """How to read and preprocess a source file.

    Attributes
    ----------
    text_column, id_column, date_column : str or None
        Columns of a table source; ``None`` = guess (text: the string column with the longest
        values; id: ``id``-like column with unique values, else row numbers; date: a column
        named ``date``, ``datetime``, ``year``...).
    modalities : dict {column: "@name"}
        Metadata columns that become modalities; a list-valued cell gives several tokens.
    lang : str
        ``"auto"`` (Cyrillic share / stop-word hits) or an ISO code: ``en``, ``ru``, ``de``...
    lemmatize : bool
        Russian lemmatization (pymorphy3).
    stem : bool
        Snowball stemming (PyStemmer).
    stopwords : str
        ``"default"`` (the shipped list of the language), ``"none"``, or a path to a UTF-8 file
        whose words are added to the default list.
    min_df, max_df : int or float or None
        Document-frequency bounds: an int is a document count, a float in (0, 1] a fraction of
        the documents. ``min_df=None`` means 2 for text corpora of 20+ documents, else 1.
    max_vocab : int or None
        Keep the most frequent terms only.
    encoding : str or None
        Text encoding; ``None`` = UTF-8, or a detected cp1251 / Windows Latin-1.
    one_per_line : bool
        A plain-text file holds one document per line.
    keep_numbers, keep_urls : bool
        Keep tokens without letters / URLs and e-mail addresses as tokens.
    min_length : int
        Shortest token kept (characters).
    phrases : bool
        Join collocations found by NPMI into one token, ``new_york`` (:mod:`engine.corpus.phrases`).
    dates : bool
        Parse a date column (the given ``date_column`` or a guessed one); ``False`` imports
        without dates (a ``year`` column stays metadata).
    """

    text_column: str | None = None
    id_column: str | None = None
    date_column: str | None = None
    modalities: dict = field(default_factory=dict)
    lang: str = "auto"
    lemmatize: bool = False
    stem: bool = False
    stopwords: str = "default"
    min_df: int | float | None = None
    max_df: int | float | None = None
    max_vocab: int | None = None
    encoding: str | None = None
    one_per_line: bool = False
    keep_numbers: bool = False
    keep_urls: bool = False
    min_length: int = 2
    dates: bool = True
    phrases: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["modalities"] = dict(self.modalities)
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> "ImportOptions":
        return build(cls, dict(d or {}), "import", error=InputError)

    def validated(self) -> "ImportOptions":
        lang = _LANG_ALIASES.get(str(self.lang or "auto").strip().lower(), str(self.lang or "auto").strip().lower())
        if not re.fullmatch(r"auto|[a-z]{2,3}", lang):
            raise InputError(f"language {self.lang!r}: use a two-letter code (en, ru, de, es, nl, ...) or auto")
        mods = {}
        for col, name in (self.modalities or {}).items():
            name = str(name).strip()
            if not name:
                raise InputError(f"modality name for column {col!r} is empty")
            if not name.startswith("@"):
                name = "@" + name
            if name == DEFAULT_MODALITY:
                raise InputError(f"{DEFAULT_MODALITY} is the modality of the words; choose another name for {col!r}")
            if not re.fullmatch(r"@[^\s|:]+", name):
                raise InputError(f"modality name {name!r}: no spaces, '|' or ':' after '@'")
            mods[str(col)] = name
        if len(set(mods.values())) != len(mods):
            raise InputError("two columns map to the same modality name")
        if self.max_vocab is not None and (not isinstance(self.max_vocab, (int, np.integer)) or self.max_vocab < 1):
            raise InputError(f"max_vocab must be a positive integer, got {self.max_vocab!r}")
        if self.min_length < 1:
            raise InputError(f"min_length must be ≥ 1, got {self.min_length}")
        T.resolve_df_bound(self.min_df, 1, "min_df")
        T.resolve_df_bound(self.max_df, 1, "max_df")
        return ImportOptions(**{**self.to_dict(), "modalities": mods, "lang": lang})


@dataclass
class SourcePreview:
    """What :func:`preview_source` found: enough to fill an import form."""

    format: str
    rows: pd.DataFrame
    columns: list
    text_column: str | None
    id_column: str | None
    date_column: str | None
    notes: list
    encoding: str | None = None
    string_columns: list = field(default_factory=list)

