#!/usr/bin/python3
"""Writes a GoogleTest source that round-trips every generated Kafka message at every version.

Usage: make_roundtrip_test.py SCHEMA_DIR OUTPUT_CC

For every request and response schema and every valid version, the emitted test fills each
field present at that version with a value other than its default (ints 7, strings "x",
arrays of two elements, bytes and records with a few bytes, nullable fields alternately null
and not), encodes, decodes, and checks that the decoded message equals the original, that
every byte was consumed, that re-encoding gives the same bytes, and that every strict prefix
of the encoding is refused. Each message and version is filled twice, with the null/non-null
alternation starting either way, so every nullable field is seen both null and not.

It reads the schemas itself and follows the naming rules of
broker/protocol/codegen/kafka_codegen.py (snake_case members, a trailing underscore on C++
keywords, optional<> for fields nullable in any version) without importing it, so that a
change to the generator's naming shows up here as a compile error rather than being copied.

Standard library only; run by CMake at build time with /usr/bin/python3.
"""

import json
import os
import re
import sys

MAX_VERSION = 32767


def parse_versions(text):
    """(lo, hi) of a range like "3+", "0-2", "5"; None for absent or "none"."""
    if text is None or text.strip() == "none":
        return None
    text = text.strip()
    if text.endswith("+"):
        return int(text[:-1]), MAX_VERSION
    if "-" in text:
        lo, hi = text.split("-")
        return int(lo), int(hi)
    return int(text), int(text)


def intersect(a, b):
    if a is None or b is None:
        return None
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else None


def condition(versions):
    """A C++ condition on `version`, true for versions in the range."""
    if versions is None:
        return "false"
    parts = []
    if versions[0] > 0:
        parts.append(f"version >= {versions[0]}")
    if versions[1] < MAX_VERSION:
        parts.append(f"version <= {versions[1]}")
    return " && ".join(parts) if parts else "true"


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


CPP_KEYWORDS = {"default", "class", "operator", "new", "delete", "template", "register"}


def member(name):
    n = snake(name)
    return n + "_" if n in CPP_KEYWORDS else n


def load_schema(path):
    with open(path) as f:
        text = f.read()
    return json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.M))


SCALAR_VALUES = {
    "bool": "true",
    "int8": "7",
    "int16": "7",
    "uint16": "7",
    "int32": "7",
    "int64": "7",
    "float64": "7.5",
    "uuid": "kUuid",
    "string": 'std::string("x")',
    "bytes": "Bytes{7, 8, 9}",
    "records": "kRecords",
}


def non_default_value(element, default):
    """The fill value for a scalar: SCALAR_VALUES, unless that is the field's default."""
    if element == "bool" and str(default).lower() == "true":
        return "false"
    if element in ("int8", "int16", "uint16", "int32", "int64") and default is not None:
        try:
            if int(str(default), 0) == 7:
                return "8"
        except ValueError:
            pass
    return SCALAR_VALUES[element]


class MessageEmitter:
    """Emits one fill function per struct of a message, children before parents."""

    def __init__(self, schema):
        self.name = schema["name"]
        self.lines = []
        self.commons = {c["name"]: c for c in schema.get("commonStructs", [])}
        self.common_function = {}
        # Common structs first (they may use each other), in an order where each follows the
        # ones it uses.
        pending = list(self.commons)
        while pending:
            for name in pending:
                if all(dep in self.common_function for dep in self.uses(self.commons[name])):
                    self.common_function[name] = self.emit_struct(
                        f"fill_{self.name}_common_{name}", self.commons[name]["fields"])
                    pending.remove(name)
                    break
            else:
                raise SystemExit(f"{self.name}: circular common structs")
        self.top_function = self.emit_struct(f"fill_{self.name}", schema["fields"])

    def uses(self, spec):
        names = set()
        for f in spec.get("fields", []):
            element = f["type"][2:] if f["type"].startswith("[]") else f["type"]
            if "fields" in f:
                names |= self.uses(f)
            elif element in self.commons:
                names.add(element)
        return names

    def emit_struct(self, function, fields):
        # Nested structs first, each its own function.
        nested = {}
        for f in fields:
            if "fields" in f:
                element = f["type"][2:] if f["type"].startswith("[]") else f["type"]
                nested[f["name"]] = self.emit_struct(f"{function}_{element}", f["fields"])
        body = []
        for f in fields:
            body += self.fill_field(f, nested.get(f["name"]))
        self.lines.append(f"[[maybe_unused]] void {function}(auto& s, int16_t version, "
                          "Alternation& nulls) {")
        self.lines.append("  (void)version;")
        self.lines.append("  (void)nulls;")
        self.lines += ["  " + line for line in body]
        self.lines.append("}")
        self.lines.append("")
        return function

    def fill_field(self, f, nested_function):
        versions = parse_versions(f.get("versions"))
        if "tag" in f:
            versions = intersect(versions, parse_versions(f.get("taggedVersions")))
        if versions is None:
            return []
        nullable = parse_versions(f.get("nullableVersions"))
        is_array = f["type"].startswith("[]")
        element = f["type"][2:] if is_array else f["type"]
        m = "s." + member(f["name"])
        if nested_function is None and element in self.commons:
            nested_function = self.common_function[element]

        def value_lines(target):
            if nested_function is not None:
                return [f"{nested_function}({target}, version, nulls);"]
            return [f"{target} = {non_default_value(element, f.get('default'))};"]

        lines = []
        # `optional` in C++ when nullable at any version (records always are).
        is_optional = nullable is not None or (element == "records" and not is_array)
        if is_array:
            target = f"(*{m})" if nullable is not None else m
            inner = []
            if nullable is not None:
                inner.append(f"{m}.emplace();")
            inner.append(f"{target}.clear();")
            inner.append("for (int i = 0; i < 2; ++i) {")
            inner.append(f"  {target}.emplace_back();")
            inner += ["  " + line for line in value_lines(f"{target}.back()")]
            inner.append("}")
        elif nested_function is not None:
            inner = [f"{m}.emplace();"] if is_optional else []
            inner += value_lines(f"*{m}" if is_optional else m)
        else:
            inner = value_lines(m)
        if nullable is not None:
            lines.append(f"if (({condition(nullable)}) && nulls.next_is_null()) {{")
            lines.append(f"  {m}.reset();")
            lines.append("} else {")
            lines += ["  " + line for line in inner]
            lines.append("}")
        else:
            lines += inner
        return [f"if ({condition(versions)}) {{"] + ["  " + line for line in lines] + ["}"]


PRELUDE = """\
// Generated by tests/broker/protocol/make_roundtrip_test.py from the Kafka message schemas.
// Do not edit.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"
{includes}

namespace runnel::broker {{
namespace {{

// Hands out null / non-null in turn to the nullable fields a fill meets, starting with null
// when `phase` is 0.
struct Alternation {{
  int next = 0;
  bool next_is_null() {{ return (next++ % 2) == 0; }}
}};

constexpr Uuid kUuid = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
constexpr uint8_t kRecordBytes[] = {{0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7}};
const BytesView kRecords(kRecordBytes, sizeof(kRecordBytes));

std::string hex(BytesView bytes) {{
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {{
    out += digits[b >> 4];
    out += digits[b & 15];
  }}
  return out;
}}

// Encodes `original` at `version`, decodes it back and checks the round trip; then checks
// that every strict prefix of the encoding is refused. Returns the encoding's size.
template <typename Message>
size_t check_round_trip(const Message& original, int16_t version, int phase) {{
  WireWriter writer;
  original.encode(writer, version);
  const Bytes bytes = writer.take();
  const std::string where = std::string("version ") + std::to_string(version) + " phase " +
                            std::to_string(phase) + " encoding " + hex(bytes.view());

  Message decoded;
  WireReader reader(bytes.view());
  const Status status = decoded.decode(reader, version);
  EXPECT_TRUE(status.ok()) << where << ": " << status.to_string();
  if (!status.ok()) return bytes.size();
  EXPECT_EQ(reader.remaining(), 0u) << where;
  WireWriter again;
  decoded.encode(again, version);
  EXPECT_TRUE(decoded == original) << where << " re-encoded as " << hex(again.bytes().view());
  EXPECT_EQ(hex(again.bytes().view()), hex(bytes.view())) << where;

  for (size_t length = 0; length < bytes.size(); ++length) {{
    // An exact-size copy, so that a read past the prefix is a heap overflow under ASan.
    const std::vector<uint8_t> prefix(bytes.data(), bytes.data() + length);
    Message partial;
    WireReader prefix_reader(BytesView(prefix.data(), prefix.size()));
    EXPECT_FALSE(partial.decode(prefix_reader, version).ok())
        << where << ": a prefix of " << length << " byte(s) decoded";
  }}
  return bytes.size();
}}

// `fieldless` lists the versions at which the message has no fields at all (nothing to fill).
template <typename Message, typename Fill>
void check_every_version(Fill fill, std::vector<int16_t> fieldless) {{
  for (int16_t version = Message::kMinVersion; version <= Message::kMaxVersion; ++version) {{
    for (int phase = 0; phase < 2; ++phase) {{
      Message original;
      Alternation nulls{{phase}};
      fill(original, version, nulls);
      // In phase 1 the first nullable field met is not null, so something is always set.
      if (phase == 1 &&
          std::find(fieldless.begin(), fieldless.end(), version) == fieldless.end()) {{
        EXPECT_FALSE(original == Message{{}}) << "version " << version << ": nothing was filled";
      }}
      check_round_trip(original, version, phase);
    }}
  }}
}}

"""

POSTLUDE = """\
}  // namespace
}  // namespace runnel::broker
"""


def fieldless_versions(schema):
    """The valid versions at which the message has no field."""
    valid = parse_versions(schema["validVersions"])
    fieldless = []
    for version in range(valid[0], valid[1] + 1):
        present = False
        for f in schema["fields"]:
            versions = parse_versions(f.get("versions"))
            if "tag" in f:
                versions = intersect(versions, parse_versions(f.get("taggedVersions")))
            if versions is not None and versions[0] <= version <= versions[1]:
                present = True
        if not present:
            fieldless.append(version)
    return fieldless


def main():
    schema_dir, output = sys.argv[1], sys.argv[2]
    messages = []
    for file in sorted(os.listdir(schema_dir)):
        if not file.endswith(".json"):
            continue
        schema = load_schema(os.path.join(schema_dir, file))
        if schema.get("type") not in ("request", "response"):
            continue
        if schema["name"] in ("RequestHeader", "ResponseHeader"):
            continue
        messages.append(schema)

    includes = "\n".join(f'#include "broker/protocol/generated/{snake(s["name"])}.h"'
                         for s in messages)
    out = [PRELUDE.format(includes=includes)]
    for schema in messages:
        emitter = MessageEmitter(schema)
        out += [line + "\n" for line in emitter.lines]
        out.append(f"TEST(GeneratedCodecRoundTrip, "
                   f"{schema['name']}RoundTripsAndRefusesEveryTruncationAtEveryVersion) {{\n")
        out.append(f"  check_every_version<{schema['name']}>([](auto& s, int16_t version, "
                   "Alternation& nulls) {\n")
        out.append(f"    {emitter.top_function}(s, version, nulls);\n")
        out.append(f"  }}, {{{', '.join(str(v) for v in fieldless_versions(schema))}}});\n")
        out.append("}\n\n")
    out.append(POSTLUDE)
    text = "".join(out)

    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    if os.path.exists(output):
        with open(output) as f:
            if f.read() == text:
                return
    with open(output, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
