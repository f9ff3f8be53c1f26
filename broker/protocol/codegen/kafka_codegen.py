#!/usr/bin/python3
"""Generates runneld's Kafka wire codec from the Apache Kafka message schemas.

Usage: kafka_codegen.py SCHEMA_DIR OUTPUT_DIR

For every request/response schema it writes OUTPUT_DIR/generated/<snake_name>.h and .cc: a
struct per message (nested structs declared inside it, where the schema nests them), fields in
snake_case with the schema's defaults, and decode/encode for every valid version, honouring
per-field versions, nullable versions, flexible versions (compact encodings, tagged fields)
and tagged fields. It also writes OUTPUT_DIR/api_key.h/.cc (the API keys, their names and
version ranges, which header versions they use) and OUTPUT_DIR/error_code.h/.cc.

Standard library only; run by CMake at build time with /usr/bin/python3.
"""

import json
import os
import re
import sys

# ---------------------------------------------------------------------------------------------
# Versions


class Versions:
    """A version range like "3+", "0-2", "5" or "none"."""

    def __init__(self, text, lo=0, hi=32767):
        self.lo, self.hi = 1, 0  # empty
        if text is None or text == "none":
            return
        text = text.strip()
        if text.endswith("+"):
            self.lo, self.hi = int(text[:-1]), 32767
        elif "-" in text:
            a, b = text.split("-")
            self.lo, self.hi = int(a), int(b)
        else:
            self.lo = self.hi = int(text)

    def empty(self):
        return self.lo > self.hi

    def intersect(self, other):
        v = Versions(None)
        v.lo, v.hi = max(self.lo, other.lo), min(self.hi, other.hi)
        return v

    def contains_all(self, other):
        return other.empty() or (self.lo <= other.lo and other.hi <= self.hi)

    def condition(self, var="version"):
        """A C++ condition true for versions in this range (within `valid`)."""
        if self.empty():
            return "false"
        parts = []
        if self.lo > 0:
            parts.append(f"{var} >= {self.lo}")
        if self.hi < 32767:
            parts.append(f"{var} <= {self.hi}")
        return " && ".join(parts) if parts else "true"


def restrict(versions, valid):
    """`versions` clipped to the message's valid versions; conditions are then simpler."""
    v = versions.intersect(valid)
    if v.empty():
        return v
    out = Versions(None)
    out.lo = 0 if v.lo <= valid.lo else v.lo
    out.hi = 32767 if v.hi >= valid.hi else v.hi
    return out


# ---------------------------------------------------------------------------------------------
# Names


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


CPP_KEYWORDS = {"default", "class", "operator", "new", "delete", "template", "register"}


def member_name(field_name):
    n = snake(field_name)
    return n + "_" if n in CPP_KEYWORDS else n


def load_schema(path):
    with open(path) as f:
        text = f.read()
    text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
    return json.loads(text)


# ---------------------------------------------------------------------------------------------
# Model

PRIMITIVES = {
    "bool": ("bool", "bool", "false"),
    "int8": ("int8_t", "int8", "0"),
    "int16": ("int16_t", "int16", "0"),
    "uint16": ("uint16_t", "uint16", "0"),
    "int32": ("int32_t", "int32", "0"),
    "int64": ("int64_t", "int64", "0"),
    "float64": ("double", "float64", "0.0"),
    "uuid": ("Uuid", "uuid", "{}"),
}


class Field:
    def __init__(self, spec, valid, flexible, structs_by_name):
        self.name = spec["name"]
        self.member = member_name(self.name)
        self.type = spec["type"]
        self.versions = Versions(spec.get("versions"))
        self.nullable = Versions(spec.get("nullableVersions"))
        self.flexible_override = spec.get("flexibleVersions")
        self.tag = spec.get("tag")
        self.tagged = Versions(spec.get("taggedVersions")) if self.tag is not None else None
        self.default = spec.get("default")
        self.is_array = self.type.startswith("[]")
        self.element = self.type[2:] if self.is_array else self.type
        self.struct = None
        if "fields" in spec:
            self.struct = Struct(self.element, spec["fields"], valid, flexible, structs_by_name)
        elif self.element not in PRIMITIVES and self.element not in ("string", "bytes", "records"):
            self.struct = structs_by_name.get(self.element)
            if self.struct is None:
                raise SystemExit(f"unknown type {self.element} in field {self.name}")
            self.struct_is_common = True
        self.valid = valid

    def is_nullable(self):
        return not self.nullable.empty()

    def element_cpp(self):
        if self.struct is not None:
            return self.struct.name
        if self.element in PRIMITIVES:
            return PRIMITIVES[self.element][0]
        return {"string": "std::string", "bytes": "Bytes", "records": "BytesView"}[self.element]

    def cpp_type(self):
        if self.is_array:
            t = f"std::vector<{self.element_cpp()}>"
        else:
            t = self.element_cpp()
        if self.element == "records" and not self.is_array:
            return "std::optional<BytesView>"
        if self.is_nullable():
            return f"std::optional<{t}>"
        return t

    def initializer(self):
        d = self.default
        if self.is_nullable():
            return "" if d in (None, "null") else f"{{{self.cpp_default_value(d)}}}"
        if self.is_array or self.struct is not None:
            return ""
        if self.element in ("string", "bytes", "records"):
            if self.element == "string" and d not in (None, ""):
                return f"{{{json.dumps(d)}}}"
            return ""
        if d is None or d == "":
            return f"{{{PRIMITIVES[self.element][2]}}}"
        return f"{{{self.cpp_default_value(d)}}}"

    def cpp_default_value(self, d):
        if self.element == "bool":
            return "true" if str(d).lower() == "true" else "false"
        if self.element == "string":
            return json.dumps(d)
        if self.element in ("int8", "int16", "int32", "int64", "uint16"):
            value = int(str(d), 0)
            cpp = PRIMITIVES[self.element][0]
            if self.element == "int64":
                return f"static_cast<int64_t>({value}LL)"
            if value == -2147483648:
                return "INT32_MIN"
            return f"static_cast<{cpp}>({value})"
        if self.element == "float64":
            return str(float(d))
        return str(d)


class Struct:
    def __init__(self, name, field_specs, valid, flexible, structs_by_name):
        self.name = name
        self.valid = valid
        self.flexible = flexible
        self.nested = []
        self.fields = []
        for spec in field_specs:
            f = Field(spec, valid, flexible, structs_by_name)
            if f.struct is not None and not getattr(f, "struct_is_common", False):
                self.nested.append(f.struct)
            self.fields.append(f)


# ---------------------------------------------------------------------------------------------
# Code emission


class Emitter:
    def __init__(self):
        self.lines = []

    def __call__(self, line=""):
        self.lines.append(line)

    def text(self):
        return "\n".join(self.lines) + "\n"


def declare_struct(out, struct, indent):
    pad = "  " * indent
    out(f"{pad}struct {struct.name} {{")
    for nested in struct.nested:
        declare_struct(out, nested, indent + 1)
    for f in struct.fields:
        out(f"{pad}  {f.cpp_type()} {f.member}{f.initializer()};")
    out("")
    out(f"{pad}  Status decode(WireReader& reader, int16_t version);")
    out(f"{pad}  void encode(WireWriter& writer, int16_t version) const;")
    out(f"{pad}  bool operator==(const {struct.name}&) const = default;")
    out(f"{pad}}};")


def compact_expr(field):
    """C++ expression: whether this field uses compact encoding at `version`."""
    if field.flexible_override is not None:
        fv = Versions(field.flexible_override)
        return fv.condition() if not fv.empty() else "false"
    return "flexible"


def read_element(out, field, target, pad, compact):
    e = field.element
    if field.struct is not None:
        out(f"{pad}RUNNEL_RETURN_IF_ERROR({target}.decode(reader, version));")
    elif e in PRIMITIVES:
        out(f"{pad}RUNNEL_RETURN_IF_ERROR(reader.read_{PRIMITIVES[e][1]}({target}));")
    elif e == "string":
        out(f"{pad}RUNNEL_RETURN_IF_ERROR(reader.read_string({target}, {compact}));")
    elif e == "bytes":
        out(f"{pad}RUNNEL_RETURN_IF_ERROR(reader.read_bytes({target}, {compact}));")
    else:
        raise SystemExit(f"unsupported element type {e}")


def write_element(out, field, value, pad, compact):
    e = field.element
    if field.struct is not None:
        out(f"{pad}{value}.encode(writer, version);")
    elif e in PRIMITIVES:
        out(f"{pad}writer.write_{PRIMITIVES[e][1]}({value});")
    elif e == "string":
        out(f"{pad}writer.write_string({value}, {compact});")
    elif e == "bytes":
        out(f"{pad}writer.write_bytes({value}, {compact});")


def decode_field(out, field, pad, nullable_cond):
    m = field.member
    compact = compact_expr(field)
    e = field.element
    if field.is_array:
        out(f"{pad}{{")
        out(f"{pad}  int32_t count = 0;")
        out(f"{pad}  RUNNEL_RETURN_IF_ERROR(reader.read_array_length(count, {compact}, "
            f"\"{field.name}\"));")
        if field.is_nullable():
            out(f"{pad}  if (count < 0) {{")
            out(f"{pad}    if (!({nullable_cond})) return reader.error(\"{field.name}: null array "
                f"in a version where it is not nullable\");")
            out(f"{pad}    {m}.reset();")
            out(f"{pad}  }} else {{")
            out(f"{pad}    {m}.emplace();")
            target = f"(*{m})"
        else:
            out(f"{pad}  if (count < 0) return reader.error(\"{field.name}: null array in a "
                f"non-nullable field\");")
            out(f"{pad}  {{")
            target = m
        out(f"{pad}    {target}.clear();")
        out(f"{pad}    reader.reserve_for({target}, count);")
        out(f"{pad}    for (int32_t i = 0; i < count; ++i) {{")
        out(f"{pad}      {target}.emplace_back();")
        read_element(out, field, f"{target}.back()", pad + "      ", compact)
        out(f"{pad}    }}")
        out(f"{pad}  }}")
        out(f"{pad}}}")
        return
    if e == "records":
        out(f"{pad}RUNNEL_RETURN_IF_ERROR(reader.read_records({m}, {compact}));")
        return
    if field.is_nullable() and e in ("string", "bytes"):
        fn = "read_nullable_string" if e == "string" else "read_nullable_bytes"
        out(f"{pad}RUNNEL_RETURN_IF_ERROR(reader.{fn}({m}, {compact}));")
        out(f"{pad}if (!{m}.has_value() && !({nullable_cond})) return reader.error(\"{field.name}: "
            f"null in a version where it is not nullable\");")
        return
    if field.is_nullable() and field.struct is not None:
        out(f"{pad}{{")
        out(f"{pad}  int8_t present = 0;")
        out(f"{pad}  RUNNEL_RETURN_IF_ERROR(reader.read_int8(present));")
        out(f"{pad}  if (present < 0) {{ {m}.reset(); }} else {{ {m}.emplace(); "
            f"RUNNEL_RETURN_IF_ERROR({m}->decode(reader, version)); }}")
        out(f"{pad}}}")
        return
    read_element(out, field, m, pad, compact)


def encode_field(out, field, pad):
    m = field.member
    compact = compact_expr(field)
    e = field.element
    if field.is_array:
        if field.is_nullable():
            out(f"{pad}if (!{m}.has_value()) {{")
            out(f"{pad}  writer.write_array_length(-1, {compact});")
            out(f"{pad}}} else {{")
            src = f"(*{m})"
        else:
            out(f"{pad}{{")
            src = m
        out(f"{pad}  writer.write_array_length(static_cast<int32_t>({src}.size()), {compact});")
        out(f"{pad}  for (const auto& element : {src}) {{")
        write_element(out, field, "element", pad + "    ", compact)
        out(f"{pad}  }}")
        out(f"{pad}}}")
        return
    if e == "records":
        out(f"{pad}writer.write_records({m}, {compact});")
        return
    if field.is_nullable() and e == "string":
        out(f"{pad}writer.write_nullable_string({m}, {compact});")
        return
    if field.is_nullable() and e == "bytes":
        out(f"{pad}writer.write_nullable_bytes({m}, {compact});")
        return
    if field.is_nullable() and field.struct is not None:
        out(f"{pad}if (!{m}.has_value()) {{ writer.write_int8(-1); }} else {{ writer.write_int8(1); "
            f"{m}->encode(writer, version); }}")
        return
    write_element(out, field, m, pad, compact)


def is_default_expr(field):
    """C++ expression: the field holds its default (tagged fields are then omitted)."""
    m = field.member
    if field.is_nullable():
        init = field.initializer()
        return f"!{m}.has_value()" if init == "" else f"{m} == decltype({m}){init}"
    if field.is_array:
        return f"{m}.empty()"
    if field.struct is not None:
        return f"{m} == {field.struct.name}{{}}"
    if field.element in ("string", "bytes"):
        init = field.initializer()
        return f"{m}.size() == 0" if init == "" else f"{m} == decltype({m}){init}"
    return f"{m} == decltype({m}){field.initializer()}"


def define_struct(out, struct, qualified, flexible):
    valid = struct.valid
    name = f"{qualified}::{struct.name}" if qualified else struct.name
    for nested in struct.nested:
        define_struct(out, nested, name, flexible)
    regular = [f for f in struct.fields if f.tag is None]
    tagged = [f for f in struct.fields if f.tag is not None]
    flex_cond = flexible.condition()

    # decode
    out(f"Status {name}::decode(WireReader& reader, int16_t version) {{")
    out("  (void)version;")
    out(f"  [[maybe_unused]] const bool flexible = {flex_cond};")
    for f in regular:
        cond = restrict(f.versions, valid)
        if cond.empty():
            continue
        nullable_cond = restrict(f.nullable, valid).condition()
        c = cond.condition()
        if c == "true":
            decode_field(out, f, "  ", nullable_cond)
        else:
            out(f"  if ({c}) {{")
            decode_field(out, f, "    ", nullable_cond)
            out("  }")
    out("  if (flexible) {")
    out("    uint32_t tag_count = 0;")
    out("    RUNNEL_RETURN_IF_ERROR(reader.read_uvarint(tag_count));")
    out("    for (uint32_t i = 0; i < tag_count; ++i) {")
    out("      uint32_t tag = 0;")
    out("      uint32_t size = 0;")
    out("      RUNNEL_RETURN_IF_ERROR(reader.read_uvarint(tag));")
    out("      RUNNEL_RETURN_IF_ERROR(reader.read_uvarint(size));")
    if tagged:
        out("      switch (tag) {")
        for f in tagged:
            cond = restrict(f.tagged.intersect(f.versions), valid).condition()
            out(f"        case {f.tag}:")
            out(f"          if ({cond}) {{")
            out("            WireReader field_reader{BytesView()};")
            out("            RUNNEL_RETURN_IF_ERROR(reader.sub_reader(size, field_reader));")
            # Decode from the sub-reader: shadow `reader` in an inner scope.
            inner = Emitter()
            decode_field(inner, f, "", restrict(f.nullable, valid).condition())
            out("            {")
            out("              WireReader& reader = field_reader;")
            for line in inner.lines:
                out("              " + line)
            out("            }")
            out("            continue;")
            out("          }")
            out("          break;")
        out("        default:")
        out("          break;")
        out("      }")
    out("      RUNNEL_RETURN_IF_ERROR(reader.skip(size));")
    out("    }")
    out("  }")
    out("  return ok_status();")
    out("}")
    out("")

    # encode
    out(f"void {name}::encode(WireWriter& writer, int16_t version) const {{")
    out("  (void)version;")
    out(f"  [[maybe_unused]] const bool flexible = {flex_cond};")
    for f in regular:
        cond = restrict(f.versions, valid)
        if cond.empty():
            continue
        c = cond.condition()
        if c == "true":
            encode_field(out, f, "  ")
        else:
            out(f"  if ({c}) {{")
            encode_field(out, f, "    ")
            out("  }")
    out("  if (flexible) {")
    if tagged:
        out("    uint32_t tag_count = 0;")
        for f in tagged:
            cond = restrict(f.tagged.intersect(f.versions), valid).condition()
            out(f"    if (({cond}) && !({is_default_expr(f)})) ++tag_count;")
        out("    writer.write_uvarint(tag_count);")
        for f in sorted(tagged, key=lambda x: x.tag):
            cond = restrict(f.tagged.intersect(f.versions), valid).condition()
            out(f"    if (({cond}) && !({is_default_expr(f)})) {{")
            out(f"      writer.write_uvarint({f.tag});")
            out("      WireWriter field_writer;")
            inner = Emitter()
            encode_field(inner, f, "")
            out("      {")
            out("        WireWriter& writer = field_writer;")
            for line in inner.lines:
                out("        " + line)
            out("      }")
            out("      writer.write_uvarint(static_cast<uint32_t>(field_writer.size()));")
            out("      writer.write_raw(field_writer.bytes().view());")
            out("    }")
    else:
        out("    writer.write_uvarint(0);")
    out("  }")
    out("}")
    out("")


def used_structs(struct):
    """Names of every struct `struct` refers to, directly or through nested structs."""
    names = set()
    for f in struct.fields:
        if f.struct is not None:
            names.add(f.struct.name)
            if not getattr(f, "struct_is_common", False):
                names |= used_structs(f.struct)
    return names


def order_by_use(commons):
    """Common structs ordered so that each is declared after the ones it uses."""
    ordered, placed = [], set()
    pending = list(commons)
    while pending:
        for s in pending:
            deps = used_structs(s) & {c.name for c in commons}
            if deps <= placed:
                ordered.append(s)
                placed.add(s.name)
                pending.remove(s)
                break
        else:
            raise SystemExit("circular common structs")
    return ordered


def generate_message(schema, out_dir):
    name = schema["name"]
    valid = Versions(schema["validVersions"])
    flexible = Versions(schema.get("flexibleVersions", "none"))
    commons = {}
    common_list = []
    for c in schema.get("commonStructs", []):
        s = Struct(c["name"], [], valid, flexible, commons)
        commons[c["name"]] = s
        common_list.append((s, c))
    for s, c in common_list:
        filled = Struct(c["name"], c["fields"], valid, flexible, commons)
        s.fields, s.nested = filled.fields, filled.nested
    top = Struct(name, schema["fields"], valid, flexible, commons)
    top.nested = order_by_use([s for s, _ in common_list]) + top.nested
    base = snake(name)

    h = Emitter()
    h("// Generated by broker/protocol/codegen/kafka_codegen.py from the Apache Kafka schema")
    h(f"// {name}.json. Do not edit.")
    h("#pragma once")
    h("")
    h("#include <array>")
    h("#include <cstdint>")
    h("#include <optional>")
    h("#include <string>")
    h("#include <vector>")
    h("")
    h('#include "broker/protocol/wire_reader.h"')
    h('#include "broker/protocol/wire_writer.h"')
    h('#include "core/bytes.h"')
    h('#include "core/status.h"')
    h("")
    h("namespace runnel::broker {")
    h("")
    # A request names its response type (declared here, defined in the response's header), so
    # that code generic over requests (the handler list's tests) can decode the answer.
    response = name[: -len("Request")] + "Response" if name.endswith("Request") else None
    if response:
        h(f"struct {response};")
        h("")
    lines = Emitter()
    declare_struct(lines, top, 0)
    # Insert the constants right after the opening line of the message struct.
    h(lines.lines[0])
    if response:
        h(f"  using Response = {response};")
    if "apiKey" in schema:
        h(f"  static constexpr int16_t kApiKey = {schema['apiKey']};")
    h(f"  static constexpr int16_t kMinVersion = {valid.lo};")
    h(f"  static constexpr int16_t kMaxVersion = {valid.hi};")
    for line in lines.lines[1:]:
        h(line)
    h("")
    h("}  // namespace runnel::broker")

    cc = Emitter()
    cc(f"// Generated by broker/protocol/codegen/kafka_codegen.py from {name}.json. Do not edit.")
    cc(f'#include "broker/protocol/generated/{base}.h"')
    cc("")
    cc("namespace runnel::broker {")
    cc("")
    define_struct(cc, top, "", flexible)
    cc("}  // namespace runnel::broker")

    write_if_changed(os.path.join(out_dir, "generated", base + ".h"), h.text())
    write_if_changed(os.path.join(out_dir, "generated", base + ".cc"), cc.text())


def write_if_changed(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------------------------
# API keys and error codes

ERROR_CODES = [
    (-1, "UNKNOWN_SERVER_ERROR"), (0, "NONE"), (1, "OFFSET_OUT_OF_RANGE"), (2, "CORRUPT_MESSAGE"),
    (3, "UNKNOWN_TOPIC_OR_PARTITION"), (4, "INVALID_FETCH_SIZE"), (5, "LEADER_NOT_AVAILABLE"),
    (6, "NOT_LEADER_OR_FOLLOWER"), (7, "REQUEST_TIMED_OUT"), (8, "BROKER_NOT_AVAILABLE"),
    (9, "REPLICA_NOT_AVAILABLE"), (10, "MESSAGE_TOO_LARGE"), (11, "STALE_CONTROLLER_EPOCH"),
    (12, "OFFSET_METADATA_TOO_LARGE"), (13, "NETWORK_EXCEPTION"),
    (14, "COORDINATOR_LOAD_IN_PROGRESS"), (15, "COORDINATOR_NOT_AVAILABLE"),
    (16, "NOT_COORDINATOR"), (17, "INVALID_TOPIC_EXCEPTION"), (18, "RECORD_LIST_TOO_LARGE"),
    (19, "NOT_ENOUGH_REPLICAS"), (20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND"),
    (21, "INVALID_REQUIRED_ACKS"), (22, "ILLEGAL_GENERATION"),
    (23, "INCONSISTENT_GROUP_PROTOCOL"), (24, "INVALID_GROUP_ID"), (25, "UNKNOWN_MEMBER_ID"),
    (26, "INVALID_SESSION_TIMEOUT"), (27, "REBALANCE_IN_PROGRESS"),
    (28, "INVALID_COMMIT_OFFSET_SIZE"), (29, "TOPIC_AUTHORIZATION_FAILED"),
    (30, "GROUP_AUTHORIZATION_FAILED"), (31, "CLUSTER_AUTHORIZATION_FAILED"),
    (32, "INVALID_TIMESTAMP"), (33, "UNSUPPORTED_SASL_MECHANISM"), (34, "ILLEGAL_SASL_STATE"),
    (35, "UNSUPPORTED_VERSION"), (36, "TOPIC_ALREADY_EXISTS"), (37, "INVALID_PARTITIONS"),
    (38, "INVALID_REPLICATION_FACTOR"), (39, "INVALID_REPLICA_ASSIGNMENT"),
    (40, "INVALID_CONFIG"), (41, "NOT_CONTROLLER"), (42, "INVALID_REQUEST"),
    (43, "UNSUPPORTED_FOR_MESSAGE_FORMAT"), (44, "POLICY_VIOLATION"),
    (45, "OUT_OF_ORDER_SEQUENCE_NUMBER"), (46, "DUPLICATE_SEQUENCE_NUMBER"),
    (47, "INVALID_PRODUCER_EPOCH"), (48, "INVALID_TXN_STATE"),
    (49, "INVALID_PRODUCER_ID_MAPPING"), (50, "INVALID_TRANSACTION_TIMEOUT"),
    (51, "CONCURRENT_TRANSACTIONS"), (52, "TRANSACTION_COORDINATOR_FENCED"),
    (53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"), (54, "SECURITY_DISABLED"),
    (55, "OPERATION_NOT_ATTEMPTED"), (56, "KAFKA_STORAGE_ERROR"), (57, "LOG_DIR_NOT_FOUND"),
    (58, "SASL_AUTHENTICATION_FAILED"), (59, "UNKNOWN_PRODUCER_ID"),
    (60, "REASSIGNMENT_IN_PROGRESS"), (61, "DELEGATION_TOKEN_AUTH_DISABLED"),
    (62, "DELEGATION_TOKEN_NOT_FOUND"), (63, "DELEGATION_TOKEN_OWNER_MISMATCH"),
    (64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED"), (65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED"),
    (66, "DELEGATION_TOKEN_EXPIRED"), (67, "INVALID_PRINCIPAL_TYPE"), (68, "NON_EMPTY_GROUP"),
    (69, "GROUP_ID_NOT_FOUND"), (70, "FETCH_SESSION_ID_NOT_FOUND"),
    (71, "INVALID_FETCH_SESSION_EPOCH"), (72, "LISTENER_NOT_FOUND"),
    (73, "TOPIC_DELETION_DISABLED"), (74, "FENCED_LEADER_EPOCH"), (75, "UNKNOWN_LEADER_EPOCH"),
    (76, "UNSUPPORTED_COMPRESSION_TYPE"), (77, "STALE_BROKER_EPOCH"),
    (78, "OFFSET_NOT_AVAILABLE"), (79, "MEMBER_ID_REQUIRED"),
    (80, "PREFERRED_LEADER_NOT_AVAILABLE"), (81, "GROUP_MAX_SIZE_REACHED"),
    (82, "FENCED_INSTANCE_ID"), (83, "ELIGIBLE_LEADERS_NOT_AVAILABLE"),
    (84, "ELECTION_NOT_NEEDED"), (85, "NO_REASSIGNMENT_IN_PROGRESS"),
    (86, "GROUP_SUBSCRIBED_TO_TOPIC"), (87, "INVALID_RECORD"), (88, "UNSTABLE_OFFSET_COMMIT"),
    (89, "THROTTLING_QUOTA_EXCEEDED"), (90, "PRODUCER_FENCED"), (91, "RESOURCE_NOT_FOUND"),
    (92, "DUPLICATE_RESOURCE"), (93, "UNACCEPTABLE_CREDENTIAL"), (94, "INCONSISTENT_VOTER_SET"),
    (95, "INVALID_UPDATE_VERSION"), (96, "FEATURE_UPDATE_FAILED"),
    (97, "PRINCIPAL_DESERIALIZATION_FAILURE"), (98, "SNAPSHOT_NOT_FOUND"),
    (99, "POSITION_OUT_OF_RANGE"), (100, "UNKNOWN_TOPIC_ID"),
    (101, "DUPLICATE_BROKER_REGISTRATION"), (102, "BROKER_ID_NOT_REGISTERED"),
    (103, "INCONSISTENT_TOPIC_ID"), (104, "INCONSISTENT_CLUSTER_ID"),
    (105, "TRANSACTIONAL_ID_NOT_FOUND"), (106, "FETCH_SESSION_TOPIC_ID_ERROR"),
    (107, "INELIGIBLE_REPLICA"), (108, "NEW_LEADER_ELECTED"),
]


def pascal(upper_snake):
    return "".join(part.capitalize() for part in upper_snake.split("_"))


def generate_tables(requests, out_dir):
    h = Emitter()
    h("// Generated by broker/protocol/codegen/kafka_codegen.py. Do not edit.")
    h("#pragma once")
    h("")
    h("#include <cstdint>")
    h("#include <optional>")
    h("#include <string_view>")
    h("")
    h("namespace runnel::broker {")
    h("")
    h("// Every API key the schemas define.")
    h("enum class ApiKey : int16_t {")
    for key, name, *_ in sorted(requests):
        h(f"  k{name} = {key},")
    h("};")
    h("")
    h("// The API's name (\"Produce\"), or \"Unknown\".")
    h("std::string_view api_name(int16_t api_key);")
    h("")
    h("// The versions the schemas define for an API, and the first flexible one (none: -1).")
    h("struct ApiSchemaVersions {")
    h("  int16_t min_version;")
    h("  int16_t max_version;")
    h("  int16_t first_flexible_version;")
    h("};")
    h("std::optional<ApiSchemaVersions> api_schema_versions(int16_t api_key);")
    h("")
    h("}  // namespace runnel::broker")
    write_if_changed(os.path.join(out_dir, "api_key.h"), h.text())

    cc = Emitter()
    cc("// Generated by broker/protocol/codegen/kafka_codegen.py. Do not edit.")
    cc('#include "broker/protocol/api_key.h"')
    cc("")
    cc("namespace runnel::broker {")
    cc("")
    cc("std::string_view api_name(int16_t api_key) {")
    cc("  switch (api_key) {")
    for key, name, *_ in sorted(requests):
        cc(f'    case {key}: return "{name}";')
    cc("    default: return \"Unknown\";")
    cc("  }")
    cc("}")
    cc("")
    cc("std::optional<ApiSchemaVersions> api_schema_versions(int16_t api_key) {")
    cc("  switch (api_key) {")
    for key, name, valid, flexible in sorted(requests):
        first_flex = -1 if flexible.empty() else flexible.lo
        cc(f"    case {key}: return ApiSchemaVersions{{{valid.lo}, {valid.hi}, {first_flex}}};")
    cc("    default: return std::nullopt;")
    cc("  }")
    cc("}")
    cc("")
    cc("}  // namespace runnel::broker")
    write_if_changed(os.path.join(out_dir, "api_key.cc"), cc.text())

    h = Emitter()
    h("// Generated by broker/protocol/codegen/kafka_codegen.py. Do not edit.")
    h("#pragma once")
    h("")
    h("#include <cstdint>")
    h("#include <string_view>")
    h("")
    h("namespace runnel::broker {")
    h("")
    h("// Kafka's error codes, as sent in responses (protocol guide, \"Error Codes\").")
    h("enum class ErrorCode : int16_t {")
    for code, name in ERROR_CODES:
        h(f"  k{pascal(name)} = {code},")
    h("};")
    h("")
    h("// The code as a response's int16 error field carries it.")
    h("constexpr int16_t code(ErrorCode error) { return static_cast<int16_t>(error); }")
    h("")
    h("// The code's protocol name (\"OFFSET_OUT_OF_RANGE\"), or \"UNKNOWN_ERROR_CODE\".")
    h("std::string_view error_name(int16_t code);")
    h("")
    h("}  // namespace runnel::broker")
    write_if_changed(os.path.join(out_dir, "error_code.h"), h.text())

    cc = Emitter()
    cc("// Generated by broker/protocol/codegen/kafka_codegen.py. Do not edit.")
    cc('#include "broker/protocol/error_code.h"')
    cc("")
    cc("namespace runnel::broker {")
    cc("")
    cc("std::string_view error_name(int16_t code) {")
    cc("  switch (code) {")
    for code, name in ERROR_CODES:
        cc(f'    case {code}: return "{name}";')
    cc('    default: return "UNKNOWN_ERROR_CODE";')
    cc("  }")
    cc("}")
    cc("")
    cc("}  // namespace runnel::broker")
    write_if_changed(os.path.join(out_dir, "error_code.cc"), cc.text())


def main():
    schema_dir, out_dir = sys.argv[1], sys.argv[2]
    requests = []
    for file in sorted(os.listdir(schema_dir)):
        if not file.endswith(".json"):
            continue
        schema = load_schema(os.path.join(schema_dir, file))
        if schema["type"] not in ("request", "response"):
            continue
        generate_message(schema, out_dir)
        if schema["type"] == "request":
            requests.append((schema["apiKey"], schema["name"][: -len("Request")],
                             Versions(schema["validVersions"]),
                             Versions(schema.get("flexibleVersions", "none"))))
    generate_tables(requests, out_dir)


if __name__ == "__main__":
    main()
