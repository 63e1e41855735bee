"""BM25 over stemmed words: the lexical signal that catches exact names ('SwinIR', 'JPEG', 'x4').

Kept as compressed postings (CSR arrays) so that scoring a query touches only the documents that
contain its words, which keeps a 100,000-source catalog fast without a sparse-matrix library.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .text import stems
from .tuning import TUNING


class BM25:
    """Okapi BM25 with a non-negative idf, built from token lists, scored from token lists."""

    def __init__(self, vocabulary: dict[str, int], indptr: np.ndarray, doc_ids: np.ndarray, tf: np.ndarray,
                 doc_len: np.ndarray, k1: float = TUNING.ranking.bm25_k1, b: float = TUNING.ranking.bm25_b) -> None:
        self.vocabulary = vocabulary
        self.indptr = indptr
        self.doc_ids = doc_ids
        self.tf = tf
        self.doc_len = doc_len
        self.k1 = k1
        self.b = b
        n = len(doc_len)
        df = np.diff(indptr).astype(np.float64)
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg = float(doc_len.mean()) if n else 1.0
        self._norm = (k1 * (1.0 - b + b * doc_len / max(avg, 1e-9))).astype(np.float32)

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> "BM25":
        """Tokenise (stem, drop stopwords) and index ``texts``."""
        return cls.from_tokens([stems(t, drop_stopwords=True) for t in texts])

    @classmethod
    def from_tokens(cls, docs: Sequence[Sequence[str]]) -> "BM25":
        """Index pre-tokenised documents."""
        vocabulary: dict[str, int] = {}
        term_list: list[int] = []
        doc_list: list[int] = []
        for doc, tokens in enumerate(docs):
            term_list.extend(vocabulary.setdefault(token, len(vocabulary)) for token in tokens)
            doc_list.extend([doc] * len(tokens))
        n = max(len(docs), 1)
        keys, counts = np.unique(np.array(term_list, dtype=np.int64) * n + np.array(doc_list, dtype=np.int64), return_counts=True)
        terms = keys // n
        doc_ids = (keys % n).astype(np.int32)
        counts = counts.astype(np.float32)
        indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.add.at(indptr, terms + 1, 1)
        indptr = np.cumsum(indptr)
        doc_len = np.array([len(d) for d in docs], dtype=np.float32)
        return cls(vocabulary, indptr, doc_ids, counts, doc_len)

    def __len__(self) -> int:
        return len(self.doc_len)

    def scores(self, query: str) -> tuple[np.ndarray, float]:
        """BM25 score of every document, and the best score any document could reach (see ``_terms``)."""
        columns, ceiling = self._terms(query)
        out = np.zeros(len(self.doc_len), dtype=np.float32)
        for column in columns:
            start, end = self.indptr[column], self.indptr[column + 1]
            ids = self.doc_ids[start:end]
            tf = self.tf[start:end]
            out[ids] += self.idf[column] * tf * (self.k1 + 1.0) / (tf + self._norm[ids])
        return out, ceiling

    def _terms(self, query: str) -> tuple[list[int], float]:
        """The query's distinct terms present in the vocabulary, and the ceiling a document could reach.

        The ceiling counts every distinct query term, those no document contains included (at the
        idf of an unseen term): one rare shared word must not look like a full match.
        """
        n = len(self.doc_len)
        unseen_idf = float(np.log1p((n + 0.5) / 0.5))
        columns, ceiling = [], 0.0
        for term in dict.fromkeys(stems(query, drop_stopwords=True)):
            column = self.vocabulary.get(term)
            if column is None:
                ceiling += unseen_idf * (self.k1 + 1.0)
            else:
                columns.append(column)
                ceiling += float(self.idf[column]) * (self.k1 + 1.0)
        return columns, ceiling

    def normalized_rows(self, query: str, rows: np.ndarray) -> np.ndarray:
        """Normalised scores of the documents in ``rows`` only (ascending row numbers), touching no others.

        Postings are sorted by document, so each query term is a binary search per row: a 100,000
        document catalog costs what its few hundred candidates cost.
        """
        columns, ceiling = self._terms(query)
        out = np.zeros(len(rows), dtype=np.float32)
        if ceiling <= 0:
            return out
        for column in columns:
            start, end = self.indptr[column], self.indptr[column + 1]
            ids = self.doc_ids[start:end]
            where = np.searchsorted(ids, rows)
            inside = where < len(ids)
            hit = np.zeros(len(rows), dtype=bool)
            hit[inside] = ids[where[inside]] == rows[inside]
            if not hit.any():
                continue
            tf = self.tf[start:end][where[hit]]
            out[hit] += self.idf[column] * tf * (self.k1 + 1.0) / (tf + self._norm[rows[hit]])
        return out / ceiling

    def rare_candidates(self, query: str, k: int, max_df: float = TUNING.ranking.rare_df) -> np.ndarray:
        """Rows of the best ``k`` documents by the query's rarer terms (df <= max_df of all documents).

        Common terms hardly move BM25 yet touch most documents; shortlisting by the rare ones is
        both faster and what makes a name like 'SwinIR' surface in a large catalog.
        """
        columns, _ = self._terms(query)
        limit = max(1, int(max_df * len(self.doc_len)))
        touched = []
        for column in columns:
            start, end = self.indptr[column], self.indptr[column + 1]
            if end - start > limit:
                continue
            touched.append((column, start, end))
        if not touched:
            return np.zeros(0, dtype=np.int64)
        ids = np.concatenate([self.doc_ids[s:e] for _, s, e in touched])
        tf = np.concatenate([self.tf[s:e] for _, s, e in touched])
        idf = np.concatenate([np.full(e - s, self.idf[c], dtype=np.float32) for c, s, e in touched])
        contrib = idf * tf * (self.k1 + 1.0) / (tf + self._norm[ids])
        unique, inverse = np.unique(ids, return_inverse=True)
        acc = np.zeros(len(unique), dtype=np.float32)
        np.add.at(acc, inverse, contrib)
        if len(unique) > k:
            keep = np.argpartition(-acc, k)[:k]
            unique = unique[keep]
        return unique.astype(np.int64)

    def normalized(self, query: str) -> np.ndarray:
        """Scores divided by the query's ceiling, so they land in [0, 1] and compare across queries."""
        raw, ceiling = self.scores(query)
        return raw / ceiling if ceiling > 0 else raw

    def state(self) -> dict[str, np.ndarray]:
        """Arrays to persist (vocabulary as a string array in column order)."""
        terms = np.array(sorted(self.vocabulary, key=self.vocabulary.__getitem__), dtype=str)
        return {"terms": terms, "indptr": self.indptr, "doc_ids": self.doc_ids, "tf": self.tf, "doc_len": self.doc_len}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> "BM25":
        """Rebuild from ``state()``."""
        vocabulary = {str(t): i for i, t in enumerate(state["terms"].tolist())}
        return cls(vocabulary, state["indptr"], state["doc_ids"], state["tf"], state["doc_len"])
