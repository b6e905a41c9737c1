"""RFC 9162's tree, proofs and their verification, against the RFC's recursive definitions."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from workflow import merkle

# Certificate Transparency's reference vectors: eight leaves and the root of each prefix.
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def mth(leaves: list[bytes]) -> bytes:
    """MTH of RFC 9162 2.1.1, written as the RFC writes it."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return merkle.leaf_hash(leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def stored(leaves: list[bytes]):
    built = merkle.levels(merkle.leaf_hash(x) for x in leaves)
    return merkle.node_in(built)


def test_the_reference_vectors():
    for size in range(1, 9):
        assert merkle.root(size, stored(LEAVES[:size])).hex() == ROOTS[size - 1]
        assert mth(LEAVES[:size]).hex() == ROOTS[size - 1]
    assert merkle.root(0, stored([])) == hashlib.sha256(b"").digest()


tree = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@given(tree, st.data())
def test_a_prefix_root_and_an_inclusion_path_are_the_rfcs(leaves, data):
    node = stored(leaves)
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    assert merkle.root(size, node) == mth(leaves[:size])
    proof = merkle.inclusion_path(index, size, node)
    assert proof == path(index, leaves[:size])
    got = merkle.root_from_inclusion(index, size, merkle.leaf_hash(leaves[index]), proof)
    assert got == mth(leaves[:size])


@given(tree, st.data())
def test_the_nodes_a_path_reads_are_named_beforehand(leaves, data):
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    built = merkle.levels(merkle.leaf_hash(x) for x in leaves)
    read: list[tuple[int, int]] = []

    def node(level, i):
        read.append((level, i))
        return built[level][i]

    merkle.inclusion_path(index, size, node)
    assert sorted(set(read)) == sorted(set(merkle.inclusion_nodes(index, size)))


@given(tree, st.data())
def test_an_altered_leaf_or_path_proves_nothing(leaves, data):
    node = stored(leaves)
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_path(index, size, node)
    good = mth(leaves)
    forged = merkle.leaf_hash(leaves[index] + b"!")
    assert merkle.root_from_inclusion(index, size, forged, proof) != good
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bent = [*proof[:k], bytes(32), *proof[k + 1 :]]
        assert (
            merkle.root_from_inclusion(index, size, merkle.leaf_hash(leaves[index]), bent) != good
        )
    assert merkle.root_from_inclusion(size, size, merkle.leaf_hash(leaves[0]), proof) is None


@given(tree, st.data())
def test_consistency_proofs_hold_between_prefixes_and_fail_otherwise(leaves, data):
    node = stored(leaves)
    second = data.draw(st.integers(1, len(leaves)))
    first = data.draw(st.integers(1, second))
    proof = merkle.consistency_proof(first, second, node)
    r1, r2 = mth(leaves[:first]), mth(leaves[:second])
    assert merkle.verify_consistency(first, second, r1, r2, proof)
    if first < second:
        other = mth([*leaves[: first - 1], leaves[first - 1] + b"!"])  # a rewritten history
        assert not merkle.verify_consistency(first, second, other, r2, proof)
        assert not merkle.verify_consistency(first, second, r1, bytes(32), proof)
