"""Seed lexicons: named groups of seed words, read from typed text, CSV or TXT, and checked
against a corpus.

A :class:`Lexicon` is an ordered mapping ``group -> words`` (``«японцы: японец, японский,
япония»``). One word may stand in several groups. Words are kept as the user typed them; the
corpus's own preprocessing (tokenizer, stop words, pymorphy3 lemmas for Russian, Snowball
stems — whatever the corpus manifest says) maps each of them to a vocabulary *term*
(:func:`~engine.families.seeds.matching.normalize_seeds`), so «японцев» finds the term ``японец``.

:func:`check_lexicon` gives one row per (group, seed): the term, whether it is in the
vocabulary, its tf and df, and for unknown seeds the nearest vocabulary terms
(:class:`~engine.families.seeds.matching.NearMatcher`).
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.store import csvsafe
from engine.corpus.corpus import DEFAULT_MODALITY
from engine.errors import InputError
from engine.families.seeds.matching import NearMatcher, normalize_seeds

__all__ = ["Lexicon", "NearMatcher", "normalize_seeds", "check_lexicon", "LexiconCheck"]

_SPLIT = re.compile(r"[,;\t]")
_GROUP_HEADERS = ("group", "topic", "theme", "category", "группа", "тема")
_WORD_HEADERS = ("word", "words", "token", "tokens", "seed", "seeds", "слово", "слова")
MAX_SEEDS = 20_000


def _clean(w) -> str:
    return " ".join(str(w).strip().strip('"').strip("'").split())


# --------------------------------------------------------------------------- the lexicon

@dataclass(frozen=True)
class Lexicon:
    """Ordered groups of seed words.

    Attributes
    ----------
    groups : dict str -> tuple of str
        Group name -> seed words in the order given (duplicates inside a group removed; the
        same word may appear in several groups).
    """

    groups: dict = field(default_factory=dict)

    def __post_init__(self):
        out: dict[str, tuple] = {}
        for g, words in dict(self.groups).items():
            g = _clean(g)
            if not g:
                raise InputError("a lexicon group needs a name")
            if isinstance(words, str):
                words = [words]
            seen = list(out.get(g, ()))
            for w in words:
                w = _clean(w)
                if w and w not in seen:
                    seen.append(w)
            if seen:
                out[g] = tuple(seen)
        n = sum(len(v) for v in out.values())
        if n > MAX_SEEDS:
            raise InputError(f"the lexicon has {n} seed words; at most {MAX_SEEDS} are supported")
        object.__setattr__(self, "groups", out)

    # ----------------------------------------------------------------- views
    def __len__(self) -> int:
        return len(self.groups)

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def names(self) -> list[str]:
        return list(self.groups)

    @property
    def words(self) -> list[str]:
        """Distinct seed words over all groups, in order of first appearance."""
        return list(dict.fromkeys(w for ws in self.groups.values() for w in ws))

    @property
    def n_seeds(self) -> int:
        return sum(len(v) for v in self.groups.values())

    def groups_of(self, word: str) -> list[str]:
        """Groups that contain ``word``."""
        return [g for g, ws in self.groups.items() if word in ws]

    def pairs(self) -> list[tuple[str, str]]:
        """(group, word) in order."""
        return [(g, w) for g, ws in self.groups.items() for w in ws]

    def to_frame(self) -> pd.DataFrame:
        p = self.pairs()
        return pd.DataFrame({"group": [g for g, _ in p], "word": [w for _, w in p]})

    # ----------------------------------------------------------------- formats
    def to_text(self) -> str:
        """One ``group: word, word`` line per group (what :meth:`parse` reads)."""
        return "\n".join(f"{g}: {', '.join(ws)}" for g, ws in self.groups.items())

    def to_csv(self) -> str:
        """CSV with columns ``group,word`` (one row per seed)."""
        return csvsafe.to_csv(self.to_frame())

    def to_dict(self) -> dict:
        return {"groups": {g: list(ws) for g, ws in self.groups.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "Lexicon":
        if not isinstance(data, dict):
            raise InputError(f"a lexicon must be an object, got {type(data).__name__}")
        groups = data.get("groups", data)
        if not isinstance(groups, dict) or not all(isinstance(v, (list, tuple, str)) for v in groups.values()):
            raise InputError("a lexicon must map group names to lists of words")
        return cls(groups)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Lexicon":
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as e:
            raise InputError(f"the lexicon is not valid JSON: {e}") from None

    @classmethod
    def parse(cls, text: str, default_group: str = "seeds") -> "Lexicon":
        """Typed text: one ``group: word, word, …`` line per group.

        Lines without a colon add their words (comma/semicolon separated, or one per line) to
        ``default_group``. Empty lines and lines starting with ``#`` are skipped. A group named
        on several lines collects all their words.
        """
        groups: dict[str, list[str]] = {}
        for raw in str(text or "").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if ":" in line:
                g, rest = line.split(":", 1)
                g = _clean(g) or default_group
            else:
                g, rest = default_group, line
            words = [w for w in (_clean(x) for x in _SPLIT.split(rest)) if w]
            groups.setdefault(g, []).extend(words)
        return cls({g: ws for g, ws in groups.items() if ws})

    @classmethod
    def from_csv(cls, text: str, default_group: str = "seeds") -> "Lexicon":
        """CSV/TSV text: columns ``group,word`` (one seed per row) or ``group,words`` (words
        separated by commas or semicolons inside the cell, or in further columns).

        A header row is recognised by its names (group/topic/theme, word/words/token/seed);
        without one the first column is the group and the rest are words. A single column is a
        list of words in ``default_group``.
        """
        text = str(text or "").lstrip("\ufeff")
        if not text.strip():
            return cls({})
        first = text.splitlines()[0]
        delim = "\t" if "\t" in first else (";" if first.count(";") > first.count(",") else ",")
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if any(c.strip() for c in r)]
        if not rows:
            return cls({})
        head = [c.strip().lower() for c in rows[0]]
        gcol, wcols = 0, None
        if any(h in _GROUP_HEADERS for h in head) or any(h in _WORD_HEADERS for h in head):
            gcols = [i for i, h in enumerate(head) if h in _GROUP_HEADERS]
            wc = [i for i, h in enumerate(head) if h in _WORD_HEADERS]
            gcol = gcols[0] if gcols else None
            wcols = wc or [i for i in range(len(head)) if i != gcol]
            rows = rows[1:]
        groups: dict[str, list[str]] = {}
        for r in rows:
            if wcols is None:  # no header
                if len(r) == 1:
                    g, cells = default_group, r
                else:
                    g, cells = r[0], r[1:]
            else:
                g = r[gcol] if gcol is not None and gcol < len(r) else default_group
                cells = [r[i] for i in wcols if i < len(r)]
            g = _clean(g) or default_group
            for c in cells:
                groups.setdefault(g, []).extend(w for w in (_clean(x) for x in re.split(r"[,;]", c)) if w)
        return cls({g: ws for g, ws in groups.items() if ws})

    @classmethod
    def read(cls, path) -> "Lexicon":
        """A lexicon file: ``.csv``/``.tsv`` (see :meth:`from_csv`), ``.json``
        (:meth:`to_json`), anything else as typed text (:meth:`parse`; one word per line goes
        to a group named after the file)."""
        p = Path(path)
        if not p.is_file():
            raise InputError(f"lexicon file {p} does not exist")
        try:
            text = p.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise InputError(f"lexicon file {p.name} is not UTF-8 (byte {e.start}); save it as UTF-8") from None
        return cls.from_upload(text, p.name)

    @classmethod
    def from_upload(cls, text: str, filename: str = "") -> "Lexicon":
        """Parse uploaded content by its file name's extension."""
        suffix = Path(filename).suffix.lower()
        stem = Path(filename).stem or "seeds"
        if suffix == ".json":
            lex = cls.from_json(text)
        elif suffix in (".csv", ".tsv"):
            lex = cls.from_csv(text, default_group=stem)
        else:
            lex = cls.parse(text, default_group=stem)
        if not lex:
            raise InputError(f"lexicon {filename or '(typed)'} holds no words")
        return lex


# --------------------------------------------------------------------------- checking a lexicon

@dataclass(frozen=True, eq=False)
class LexiconCheck:
    """A lexicon checked against a corpus.

    Attributes
    ----------
    lexicon : Lexicon
    table : DataFrame
        One row per (group, seed): ``group``, ``seed`` (as typed), ``term`` (after the corpus
        preprocessing; several terms of a phrase joined by spaces), ``found`` (bool), ``token_id``
        (-1 if not found), ``tf``, ``df``, ``suggestions`` (list of ``"term (tf)"`` for seeds
        not found), ``note`` (why not found).
    corpus_tokens : float
        Total count of the modality's tokens in the corpus (sets the scale of τ).
    """

    lexicon: Lexicon
    table: pd.DataFrame
    corpus_tokens: float = 0.0

    def terms(self) -> dict[str, list[str]]:
        """Group -> distinct vocabulary terms of its found seeds (groups with none are absent)."""
        out: dict[str, list[str]] = {}
        for g, t, ok in zip(self.table["group"], self.table["term"], self.table["found"]):
            if ok and t not in out.setdefault(g, []):
                out[g].append(t)
        return {g: v for g, v in out.items() if v}

    def token_ids(self) -> dict[str, np.ndarray]:
        """Group -> distinct token ids of its found seeds."""
        out: dict[str, list] = {}
        for g, i in zip(self.table["group"], self.table["token_id"]):
            if i >= 0 and i not in out.setdefault(g, []):
                out[g].append(int(i))
        return {g: np.asarray(v, np.int64) for g, v in out.items() if v}

    @property
    def missing(self) -> list[str]:
        """Seeds (as typed) not in the vocabulary."""
        t = self.table
        return list(dict.fromkeys(t.loc[~t["found"], "seed"]))

    def summary(self) -> dict:
        t = self.table
        return {"groups": len(self.lexicon), "groups_found": len(self.terms()),
                "seeds": int(len(t)), "seeds_found": int(t["found"].sum()),
                "terms": int(t.loc[t["found"], "term"].nunique()),
                "tokens": float(t.drop_duplicates("term").loc[lambda x: x["found"], "tf"].sum())}


def check_lexicon(lexicon: Lexicon, corpus, modality: str = DEFAULT_MODALITY, suggestions: int = 3,
                  matcher: NearMatcher | None = None) -> LexiconCheck:
    """Run every seed through the corpus preprocessing and look it up in the vocabulary.

    Parameters
    ----------
    lexicon : Lexicon
    corpus : engine.Corpus
    modality : str
        Modality the seeds belong to (words: ``@default_class``).
    suggestions : int
        Near matches listed for each seed not found (0 = none).
    matcher : NearMatcher, optional
        Reuse one across calls (building it costs ~0.1 s per 10k terms).

    Returns
    -------
    LexiconCheck
    """
    vocab = corpus.vocab
    sub = vocab[vocab["modality"] == modality]
    if modality == DEFAULT_MODALITY:
        norm = normalize_seeds(lexicon.words, corpus)
    else:  # metadata modalities keep values as they were
        norm = {w: (w,) for w in lexicon.words}
    all_terms = list(dict.fromkeys(t for ts in norm.values() for t in ts))
    ids = dict(zip(all_terms, corpus.token_ids(all_terms, modality))) if all_terms else {}
    tf = vocab["tf"].to_numpy(np.float64)
    df = vocab["df"].to_numpy(np.float64)
    rows = []
    need_match = []
    for g, w in lexicon.pairs():
        ts = norm.get(w, ())
        term = " ".join(ts)
        tid, note = -1, ""
        if len(ts) == 1:
            tid = int(ids.get(ts[0], -1))
            if tid < 0:
                note = "not in the vocabulary (too rare, or filtered at import)"
        elif not ts:
            note = "removed by the preprocessing (stop word, number or too short)"
        else:
            known = [t for t in ts if ids.get(t, -1) >= 0]
            note = ("several words after preprocessing; seeds are single words" +
                    (f" — try: {', '.join(known)}" if known else ""))
        rows.append({"group": g, "seed": w, "term": term, "found": tid >= 0, "token_id": tid,
                     "tf": float(tf[tid]) if tid >= 0 else 0.0, "df": int(df[tid]) if tid >= 0 else 0,
                     "suggestions": [], "note": note})
        if tid < 0 and suggestions > 0 and ts:
            need_match.append(len(rows) - 1)
    if need_match:
        if matcher is None:
            matcher = NearMatcher(sub["token"].to_numpy(), sub["tf"].to_numpy())
        cache: dict[str, list] = {}
        for k in need_match:
            r = rows[k]
            key = r["term"].split(" ")[0] if " " in r["term"] else r["term"]
            if key not in cache:
                cache[key] = [f"{t} ({int(f)})" for t, f in matcher.match(key, suggestions)]
            r["suggestions"] = cache[key]
    table = pd.DataFrame(rows, columns=["group", "seed", "term", "found", "token_id", "tf", "df",
                                        "suggestions", "note"])
    table["found"] = table["found"].astype(bool)
    table["token_id"] = table["token_id"].astype(np.int64)
    return LexiconCheck(lexicon=lexicon, table=table, corpus_tokens=float(sub["tf"].sum()))
