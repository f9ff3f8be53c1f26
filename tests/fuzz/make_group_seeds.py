#!/usr/bin/env python3
"""Writes the fuzzer's seed requests for the group, offset and producer-id APIs into tests/fuzz/corpus/:
one whole, valid request frame (header v1, correlation id 42, client id "fuzz", then the body)
per API at its lowest and highest served version. All are non-flexible versions, so the
encoding is the classic one: big-endian integers, int16-length strings, int32-count arrays.
broker_protocol_seed_corpus_test checks that each decodes whole.

usage: tests/fuzz/make_group_seeds.py [corpus-dir]
"""

import os
import struct
import sys


def i8(v): return struct.pack(">b", v)
def i16(v): return struct.pack(">h", v)
def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)
def s(v): return i16(-1) if v is None else i16(len(v)) + v.encode()
def b(v): return i32(len(v)) + v
def array(items): return i32(len(items)) + b"".join(items)


def frame(api_key, version, body):
    return i16(api_key) + i16(version) + i32(42) + s("fuzz") + body


# ConsumerProtocolSubscription v0 for topic "t", as a member's protocol metadata.
SUBSCRIPTION = i16(0) + array([s("t")]) + i32(-1)
ASSIGNMENT = i16(0) + array([s("t") + array([i32(0), i32(1)])]) + i32(-1)

SEEDS = {
    "find_coordinator_v0": frame(10, 0, s("group")),
    "find_coordinator_v2": frame(10, 2, s("group") + i8(0)),
    "join_group_v0": frame(11, 0, s("group") + i32(10000) + s("") + s("consumer") +
                           array([s("range") + b(SUBSCRIPTION)])),
    "join_group_v5": frame(11, 5, s("group") + i32(10000) + i32(30000) + s("member-1") +
                           s("instance-1") + s("consumer") +
                           array([s("cooperative-sticky") + b(SUBSCRIPTION),
                                  s("range") + b(SUBSCRIPTION)])),
    "sync_group_v0": frame(14, 0, s("group") + i32(1) + s("member-1") +
                           array([s("member-1") + b(ASSIGNMENT)])),
    "sync_group_v3": frame(14, 3, s("group") + i32(1) + s("member-1") + s("instance-1") +
                           array([s("member-1") + b(ASSIGNMENT)])),
    "heartbeat_v0": frame(12, 0, s("group") + i32(1) + s("member-1")),
    "heartbeat_v3": frame(12, 3, s("group") + i32(1) + s("member-1") + s(None)),
    "leave_group_v0": frame(13, 0, s("group") + s("member-1")),
    "leave_group_v3": frame(13, 3, s("group") + array([s("") + s("instance-1")])),
    "list_groups_v0": frame(16, 0, b""),
    "describe_groups_v0": frame(15, 0, array([s("group")])),
    "describe_groups_v4": frame(15, 4, array([s("group"), s("other")]) + i8(1)),
    "delete_groups_v1": frame(42, 1, array([s("group")])),
    "offset_commit_v2": frame(8, 2, s("group") + i32(1) + s("member-1") + i64(-1) +
                              array([s("t") + array([i32(0) + i64(42) + s("meta")])])),
    "offset_commit_v7": frame(8, 7, s("group") + i32(1) + s("member-1") + s("instance-1") +
                              array([s("t") + array([i32(0) + i64(42) + i32(-1) + s(None)])])),
    "offset_fetch_v1": frame(9, 1, s("group") + array([s("t") + array([i32(0), i32(1)])])),
    "offset_fetch_v5": frame(9, 5, s("group") + i32(-1)),  # null topics: every offset
    "offset_delete_v0": frame(47, 0, s("group") + array([s("t") + array([i32(0)])])),
    "init_producer_id_v0": frame(22, 0, s(None) + i32(60000)),
    "init_producer_id_v1": frame(22, 1, s("txn") + i32(60000)),
}

if __name__ == "__main__":
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    for name, data in SEEDS.items():
        with open(os.path.join(corpus, name), "wb") as out:
            out.write(data)
    print(f"wrote {len(SEEDS)} seeds to {corpus}")
