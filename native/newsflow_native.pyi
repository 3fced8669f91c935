"""newsflow's text hot paths in Rust (src/lib.rs maps the modules). Arrays are little-endian
bytes."""

from collections.abc import Mapping, Sequence

class Folder:
    def __init__(self, table: bytes, extra: dict[int, str], raw: bytes | None = None) -> None: ...
    def normalize(self, text: str) -> str: ...
    def normalize_paragraphs(self, joined: str) -> list[str]: ...
    def normalize_paragraphs_raw(self, joined: str) -> list[str] | None: ...

class FoldedParagraphs:
    def texts(self) -> list[str]: ...

class BodyFingerprints:
    """What BodyFingerprinter.fingerprint gives of a body; "the text" is the non-empty
    folded paragraphs joined by single spaces."""

    @property
    def folded(self) -> FoldedParagraphs: ...
    @property
    def char_count(self) -> int: ...
    @property
    def word_hashes(self) -> bytes: ...  # each word's crc32 in the text, little-endian u64
    @property
    def word_counts(self) -> tuple[int, ...]: ...  # words per paragraph
    @property
    def paragraph_fingerprints(self) -> bytes: ...  # 8 bytes per paragraph, joined
    @property
    def content_hash(self) -> str: ...  # "" when the text has no words
    @property
    def near_pairs(self) -> tuple[tuple[int, int], ...]: ...  # (i, j), j < i
    @property
    def paragraph_keys(self) -> tuple[bytes, ...]: ...
    @property
    def distinct_shingles(self) -> int: ...  # of the word 3-grams
    @property
    def signature_bytes(self) -> bytes: ...  # low 16 bits of each minimum, little-endian
    @property
    def band_keys(self) -> tuple[bytes, ...]: ...  # 8 bytes per LSH band

class BodyFingerprinter:
    def __init__(
        self,
        *,
        folder: Folder,
        permutations: tuple[bytes, bytes],
        rows_per_band: int,
        sketch_permutations: tuple[bytes, bytes],
        sketch_agreement: int,
        max_near_paragraphs: int,
        min_words: int,
        min_chars_without_spaces: int,
        max_keys: int,
    ) -> None: ...
    def fingerprint(
        self, paragraphs: Sequence[str], raw: bool = False
    ) -> BodyFingerprints | None: ...

class CharClasses:
    def __init__(
        self, classes: Sequence[Sequence[tuple[int, int]]], beyond_bmp: int | None = None
    ) -> None: ...
    def counts(self, text: str) -> list[int]: ...
    def any(self, texts: Sequence[str]) -> bool: ...

class PhraseIndex:
    def __init__(self, phrases: list[str]) -> None: ...
    def find(self, texts: Sequence[str]) -> list[tuple[int, int, int, int]]: ...
    @staticmethod
    def find_each(
        indexes: Sequence[PhraseIndex], texts: Sequence[str]
    ) -> list[list[tuple[int, int, int, int]]]: ...
    def __len__(self) -> int: ...

class PlaceRules:
    def __init__(
        self,
        words: Mapping[str, Sequence[str]],
        titles: Mapping[str, Sequence[str]],
        first_names: Mapping[str, Sequence[str]],
        organisation_reach: int,
        game_verb_reach: int,
        title_case_share: float,
        char_flags: bytes,
        folds: Mapping[str, str],
        keys: Sequence[tuple[int, int | None, Sequence[tuple[int, int]], bool]],
        matchers: Sequence[tuple[Sequence[str], Sequence[Sequence[int]]]],
    ) -> None: ...
    @staticmethod
    def rule_names() -> list[str]: ...
    def mentions(
        self,
        texts: Sequence[str],
        found: Sequence[tuple[int, Sequence[tuple[int, int, int, int]]]],
        blocked: Sequence[tuple[int, int, int, int]],
        language: str | None,
    ) -> list[tuple[int, int, int, int, int, list[int]]]: ...
    def tags(
        self,
        texts: Sequence[str],
        found: Sequence[tuple[int, Sequence[tuple[int, int, int, int]]]],
        blocked: Sequence[tuple[int, int, int, int]],
        language: str | None,
        max_evidence: int,
    ) -> list[tuple[int, int, float, int, list[tuple[int, str, int, int]]]]: ...

class TermFilter:
    def __init__(
        self, stopwords: list[str], digits: str, min_chars: int, prefixes: list[str]
    ) -> None: ...
    def candidates(self, text: str) -> dict[str, int]: ...

class TermWindow:
    def __init__(self, size: int) -> None: ...
    def keywords(self, counts: dict[str, int], k: int) -> list[str]: ...
    def keywords_in(self, filter: TermFilter, texts: Sequence[str], k: int) -> list[str]: ...
    def __len__(self) -> int: ...
    def frequency(self, term: str) -> int: ...

def word_hashes(text: str) -> bytes: ...
def word_shingles(hashes: bytes) -> bytes: ...
def min_hash(hashes: bytes, a: bytes, b: bytes) -> bytes: ...
def band_keys(signature: bytes, rows: int) -> bytes: ...
def paragraph_sketches(hashes: bytes, counts: list[int], a: bytes, b: bytes) -> bytes: ...
def agreeing_pairs(sketches: bytes, k: int, min_agree: int) -> list[tuple[int, int]]: ...

class LanguageModel:
    def __init__(self, model: bytes) -> None: ...
    def predict(self, text: str) -> tuple[str, float] | None: ...

class StoryWords:
    """The story step's reading of an article (workers/story/features.py)."""

    def __init__(self, weights: dict[str, float], unknown: float) -> None: ...
    @staticmethod
    def stem(word: str) -> str: ...
    def read(
        self,
        title: str,
        body: str,
        lead_words: int,
        body_terms: int,
        lead_terms: int,
        title_terms: int,
        head_title: int,
        head_body: int,
    ) -> tuple[
        int,  # the body's words
        list[tuple[int, float]],  # the whole text's unit vector, heaviest terms
        list[tuple[int, float]],  # the lead's
        list[tuple[int, float]],  # the title's
        list[tuple[int, str]],  # the first form of each term of the whole text's vector
        list[str],  # telling numbers
        list[str],  # the title's first head_title words, then the body's first head_body
    ]: ...

class StoryProbe:
    """An article's unit vectors, compared with stories' packed centroids."""

    def __init__(
        self, body: dict[int, float], lead: dict[int, float], title: dict[int, float]
    ) -> None: ...
    def cosines(self, body: bytes, lead: bytes, title: bytes) -> tuple[float, float, float]: ...
