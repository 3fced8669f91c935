"""The plain reference for story identity: TF-IDF cosine of two texts, one threshold.

What any comparison of a story method is made against, in the same run: words folded as
the dedupe stage folds them (workers.dedupe.normalize), weighted by their inverse document
frequency in the texts compared, and the cosine of the two weighted vectors.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from evaluation.ant_corpus import CorpusArticle
from workers.dedupe.normalize import normalize_text

# A pair is linked at this cosine or more: the threshold GDELT's similarity graph keeps.
LINK_COSINE = 0.3
MIN_WORD_CHARS = 2


def text_of(article: CorpusArticle) -> str:
    """What the reference compares of a corpus article: its title and its body."""
    return " ".join((article.title, *article.paragraphs))


def words(text: str) -> list[str]:
    """The text's words, folded (case, Arabic letter variants, diacritics, digits)."""
    return [w for w in normalize_text(text).split() if len(w) >= MIN_WORD_CHARS]


class TfIdf:
    """Rows of L2-normalized TF-IDF weights for a fixed list of texts."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts = [Counter(words(text)) for text in texts]
        vocabulary: dict[str, int] = {}
        for count in counts:
            for word in count:
                vocabulary.setdefault(word, len(vocabulary))
        documents = Counter(word for count in counts for word in count)
        idf = np.zeros(len(vocabulary))
        for word, column in vocabulary.items():
            idf[column] = math.log((1 + len(texts)) / (1 + documents[word])) + 1
        rows, columns, values = [], [], []
        for row, count in enumerate(counts):
            for word, n in count.items():
                rows.append(row)
                columns.append(vocabulary[word])
                values.append((1 + math.log(n)) * idf[vocabulary[word]])
        matrix = sparse.csr_matrix(
            (values, (rows, columns)), shape=(len(texts), len(vocabulary)), dtype=np.float64
        )
        norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A1
        norms[norms == 0] = 1.0
        self.rows = sparse.diags(1 / norms) @ matrix

    def cosine(self, a: int, b: int) -> float:
        return float(self.rows[a].multiply(self.rows[b]).sum())

    def cosines(self, pairs: Iterable[tuple[int, int]]) -> list[float]:
        return [self.cosine(a, b) for a, b in pairs]


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson's r; 0.0 when either side does not vary."""
    x, y = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])
