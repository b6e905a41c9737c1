"""Merkle tree hashing, inclusion and consistency proofs, as RFC 9162 (Certificate Transparency
2.0) section 2.1 defines them, over SHA-256.

Written here because no maintained Python library offers RFC 9162's tree over a store we keep
ourselves: the algorithms are a page of arithmetic, checked against the RFC's recursive
definitions by property tests (tests/unit/test_merkle.py).

Nodes are named (level, index): the perfect subtree over leaves [index * 2**level,
(index + 1) * 2**level). Any range hash reduces to O(log n) such nodes, so a log of a million
rows answers a proof from about twenty stored hashes (workflow/audit_log.py stores them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

NodeOf = Callable[[int, int], bytes]  # (level, index) -> the stored hash of that perfect subtree


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees whose hashes build MTH(D[start:end]), for the ranges the RFC's
    recursion visits (start a multiple of the split); left to right."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        return [(size.bit_length() - 1, start // size)]
    k = _split(size)
    return range_nodes(start, start + k) + range_nodes(start + k, end)


def range_hash(start: int, end: int, node: NodeOf) -> bytes:
    """MTH(D[start:end]) from stored perfect-subtree hashes."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        return node(size.bit_length() - 1, start // size)
    k = _split(size)
    return node_hash(range_hash(start, start + k, node), range_hash(start + k, end, node))


def root(size: int, node: NodeOf) -> bytes:
    return EMPTY_ROOT if size == 0 else range_hash(0, size, node)


def inclusion_path(index: int, size: int, node: NodeOf, start: int = 0) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1: the audit path of leaf ``index`` in a tree of ``size``."""
    if size <= 1:
        return []
    k = _split(size)
    if index < k:
        return [*inclusion_path(index, k, node, start), range_hash(start + k, start + size, node)]
    return [
        *inclusion_path(index - k, size - k, node, start + k),
        range_hash(start, start + k, node),
    ]


def inclusion_nodes(index: int, size: int, start: int = 0) -> list[tuple[int, int]]:
    """Every stored node ``inclusion_path`` reads, so that a caller can fetch them in one query."""
    if size <= 1:
        return []
    k = _split(size)
    if index < k:
        return [*inclusion_nodes(index, k, start), *range_nodes(start + k, start + size)]
    return [*inclusion_nodes(index - k, size - k, start + k), *range_nodes(start, start + k)]


def consistency_proof(first: int, second: int, node: NodeOf) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1."""
    if first == 0 or first == second:
        return []

    def subproof(m: int, start: int, n: int, complete: bool) -> list[bytes]:
        if m == n:
            return [] if complete else [range_hash(start, start + n, node)]
        k = _split(n)
        if m <= k:
            return [*subproof(m, start, k, complete), range_hash(start + k, start + n, node)]
        return [*subproof(m - k, start + k, n - k, False), range_hash(start, start + k, node)]

    return subproof(first, 0, second, True)


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """RFC 9162 2.1.3.2: the root that ``path`` proves ``leaf`` (a leaf hash) into; None when the
    path cannot belong to a tree of that size."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: does ``proof`` show the tree of ``first`` leaves is a prefix of the tree
    of ``second`` leaves?"""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree is a node of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def levels(leaves: Iterable[bytes]) -> list[list[bytes]]:
    """Every perfect subtree's hash, level by level, from the leaf hashes held in memory: what
    ``dossier audit verify`` rebuilds from the rows themselves to compare with signed heads."""
    out = [list(leaves)]
    while len(out[-1]) > 1:
        below = out[-1]
        out.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return out


def node_in(built: list[list[bytes]]) -> NodeOf:
    return lambda level, index: built[level][index]
