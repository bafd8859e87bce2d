#!/usr/bin/env python3
"""Emits the Kafka gateway's C++ request/response codecs from Kafka's public JSON message
definitions (the `messages/` folder of the Apache Kafka clients, given as an argument).

    kafka_codegen.py <messages dir> <output dir>

Only the APIs in SERVED are emitted, and only their versions in the served range: a field
that no served version has is left out, and version checks that hold for every served version
are folded away. The output is committed (protocols/kafka/src/generated/) so the build does not
need the definitions; a ctest re-runs this script and fails when the committed files are stale.

Encoding rules (from the Kafka protocol guide): in a flexible version strings, bytes and arrays
are "compact" (unsigned varint length + 1, 0 for null) and every struct ends with a tagged
field section (unsigned varint count, then tag, size and value per field); otherwise strings
carry an int16 length, bytes an int32 length and arrays an int32 count (-1 for null).
"""

import json
import os
import re
import sys

# API name (file prefix) -> (first, last) version the gateway serves. Headers are separate.
SERVED = {
    "ApiVersions": (0, 3),
    "Metadata": (0, 12),
    "Produce": (3, 9),
    "Fetch": (4, 12),
    "ListOffsets": (1, 7),
    "FindCoordinator": (0, 3),
    "JoinGroup": (0, 9),
    "SyncGroup": (0, 5),
    "Heartbeat": (0, 4),
    "LeaveGroup": (0, 5),
    "OffsetCommit": (0, 8),
    "OffsetFetch": (0, 7),
    "CreateTopics": (0, 7),
    "DeleteTopics": (0, 5),
    "InitProducerId": (0, 4),
    "ListGroups": (0, 4),
    "DescribeGroups": (0, 5),
    "SaslHandshake": (0, 1),
    "SaslAuthenticate": (0, 2),
    "DescribeCluster": (0, 1),
    "DeleteGroups": (0, 2),
    "DescribeConfigs": (0, 4),
    "AlterConfigs": (0, 2),
    "IncrementalAlterConfigs": (0, 1),
    "CreatePartitions": (0, 3),
}
HEADERS = {"RequestHeader": (0, 2), "ResponseHeader": (0, 1)}

PRIMITIVES = {
    "bool": ("bool", "boolean", "false"),
    "int8": ("std::int8_t", "int8", "0"),
    "int16": ("std::int16_t", "int16", "0"),
    "uint16": ("std::uint16_t", "uint16", "0"),
    "int32": ("std::int32_t", "int32", "0"),
    "int64": ("std::int64_t", "int64", "0"),
    "float64": ("double", "float64", "0.0"),
    "uuid": ("kafka_uuid", "uuid", "{}"),
}
CXX_KEYWORDS = {"default", "class", "new", "delete", "operator", "private", "public", "template", "this"}


def strip_comments(text):
    """Drops // comments outside string literals (descriptions may contain "//")."""
    out, i, in_str = [], 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.loads(strip_comments(f.read()))


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = s.lower()
    return s + "_" if s in CXX_KEYWORDS else s


class Versions:
    """A version set as the definitions spell it: "3+", "0-5", "2", "none"."""

    def __init__(self, spec):
        spec = (spec or "none").strip()
        if spec == "none":
            self.lo, self.hi = 1, 0
        elif spec.endswith("+"):
            self.lo, self.hi = int(spec[:-1]), 32767
        elif "-" in spec:
            a, b = spec.split("-")
            self.lo, self.hi = int(a), int(b)
        else:
            self.lo = self.hi = int(spec)

    def intersects(self, lo, hi):
        return self.lo <= hi and self.hi >= lo and self.lo <= self.hi

    def condition(self, lo, hi):
        """A C++ test of `version` that holds exactly for this set within [lo, hi]; "" when always."""
        if not self.intersects(lo, hi):
            return "false"
        parts = []
        if self.lo > lo:
            parts.append(f"version >= {self.lo}")
        if self.hi < hi:
            parts.append(f"version <= {self.hi}")
        return " && ".join(parts)


class Field:
    def __init__(self, d, served):
        self.d = d
        self.name = snake(d["name"])
        self.type = d["type"]
        self.versions = Versions(d.get("versions"))
        self.nullable = Versions(d.get("nullableVersions"))
        self.tagged = Versions(d.get("taggedVersions")) if "tag" in d else None
        self.tag = d.get("tag")
        self.flexible_override = d.get("flexibleVersions")
        self.served = served
        self.is_array = self.type.startswith("[]")
        self.elem = self.type[2:] if self.is_array else self.type
        self.children = [Field(c, served) for c in d.get("fields", [])]
        self.sibling_names = set()

    @property
    def type_name(self):
        """The nested struct's C++ name; a member of the same name would change its meaning."""
        n = snake(self.elem)
        return n + "_value" if n in self.sibling_names else n

    @property
    def is_struct_elem(self):
        return self.elem not in PRIMITIVES and self.elem not in ("string", "bytes", "records")

    def present(self):
        return self.versions.intersects(*self.served)

    def may_be_null(self):
        return self.nullable.intersects(*self.served)


def with_siblings(fields):
    names = {f.name for f in fields}
    for f in fields:
        f.sibling_names = names
    return fields


class Generator:
    def __init__(self, definition, served):
        self.d = definition
        self.served = served
        self.common = {c["name"]: c for c in definition.get("commonStructs", [])}
        self.flex = Versions(definition.get("flexibleVersions"))
        self.fields = with_siblings([Field(f, served) for f in definition["fields"]])

    # --- types --------------------------------------------------------------------------------
    def elem_cxx(self, f):
        if f.elem in PRIMITIVES:
            return PRIMITIVES[f.elem][0]
        if f.elem in ("string", "bytes", "records"):
            return "std::string"
        return f.type_name

    def cxx_type(self, f):
        elem = self.elem_cxx(f)
        if f.is_array:
            t = f"std::vector<{elem}>"
            return f"std::optional<{t}>" if f.may_be_null() else t
        if f.elem in ("string", "bytes", "records") and f.may_be_null():
            return f"std::optional<{elem}>"
        return elem

    def default_expr(self, f):
        default = f.d.get("default")
        if isinstance(default, bool):  # some definitions give JSON literals, not strings
            default = "true" if default else "false"
        elif default is not None and not isinstance(default, str):
            default = str(default)
        if f.is_array:
            return "" if not f.may_be_null() else "std::nullopt"
        if f.elem in ("string", "bytes", "records"):
            if f.may_be_null() and (default in (None, "null")):
                return "std::nullopt"
            return "" if not default or default == "null" else json.dumps(default)
        if f.elem == "bool":
            return default if default in ("true", "false") else "false"
        if f.elem in PRIMITIVES and f.elem != "uuid":
            if default is None:
                return "0"
            value = int(default, 16) if default.lower().startswith("0x") else int(default)
            return f"static_cast<{PRIMITIVES[f.elem][0]}>({value}LL)"
        return ""

    def struct_fields(self, f):
        if f.children:
            return with_siblings(f.children)
        if f.elem in self.common:
            return with_siblings([Field(c, self.served) for c in self.common[f.elem]["fields"]])
        return []

    # --- declarations -------------------------------------------------------------------------
    def declare(self, name, fields, indent, emitted):
        pad = "    " * indent
        out = [f"{pad}struct {name}", f"{pad}{{"]
        for f in fields:
            if f.present() and f.is_struct_elem and f.type_name not in emitted:
                emitted.add(f.type_name)
                out += self.declare(f.type_name, self.struct_fields(f), indent + 1, set())
                out.append("")
        for f in fields:
            if not f.present():
                continue
            d = self.default_expr(f)
            init = f" = {d}" if d and d != "{}" else "{}"
            out.append(f"{pad}    {self.cxx_type(f)} {f.name}{init};")
        out.append(f"{pad}    bool operator==(const {name}&) const = default;")
        out.append(f"{pad}    void read(wire_reader& r, std::int16_t version);")
        out.append(f"{pad}    void write(wire_writer& w, std::int16_t version) const;")
        out.append(f"{pad}}};")
        return out

    # --- codec bodies -------------------------------------------------------------------------
    def flexible_expr(self, f):
        if f is not None and f.flexible_override is not None:
            return "false" if f.flexible_override == "none" else Versions(f.flexible_override).condition(*self.served) or "true"
        return self.flex.condition(*self.served) or "true"

    def read_value(self, f, target, elem_only=False):
        """Statements reading one value of f (an element when elem_only) into `target`."""
        flex = self.flexible_expr(f)
        if f.is_array and not elem_only:
            nullable = "true" if f.may_be_null() else "false"
            ref = f"{target}.emplace()" if f.may_be_null() else target
            lines = [
                f"if (auto n = r.array_length({flex}, {nullable}); n >= 0) {{",
                f"    auto& items = {ref};",
                "    items.resize(static_cast<std::size_t>(n));",
                "    for (auto& item : items) {",
            ]
            lines += ["        " + s for s in self.read_value(f, "item", True)]
            lines += ["    }", "}"]
            return lines
        if f.elem in PRIMITIVES:
            return [f"{target} = r.{PRIMITIVES[f.elem][1]}();"]
        if f.elem == "string":
            if f.may_be_null() and not elem_only:
                return [f"{target} = r.nullable_string({flex});"]
            return [f"{target} = r.string({flex});"]
        if f.elem in ("bytes", "records"):
            if f.may_be_null() and not elem_only:
                return [f"{target} = r.nullable_bytes({flex});"]
            return [f"{target} = r.bytes({flex});"]
        return [f"{target}.read(r, version);"]

    def write_value(self, f, source, elem_only=False):
        flex = self.flexible_expr(f)
        if f.is_array and not elem_only:
            lines = []
            if f.may_be_null():
                lines += [f"if (!{source}) {{", f"    w.null_array({flex});", "} else {"]
                src, pad = f"(*{source})", "    "
            else:
                src, pad = source, ""
            lines += [pad + f"w.array_length({flex}, {src}.size());", pad + f"for (const auto& item : {src}) {{"]
            lines += [pad + "    " + s for s in self.write_value(f, "item", True)]
            lines.append(pad + "}")
            if f.may_be_null():
                lines.append("}")
            return lines
        if f.elem in PRIMITIVES:
            return [f"w.{PRIMITIVES[f.elem][1]}({source});"]
        if f.elem == "string":
            if f.may_be_null() and not elem_only:
                return [f"w.nullable_string({flex}, {source});"]
            return [f"w.string({flex}, {source});"]
        if f.elem in ("bytes", "records"):
            if f.may_be_null() and not elem_only:
                return [f"w.nullable_bytes({flex}, {source});"]
            return [f"w.bytes({flex}, {source});"]
        return [f"{source}.write(w, version);"]

    @staticmethod
    def guarded(cond, lines):
        if cond == "false":
            return []
        if not cond:
            return lines
        return [f"if ({cond}) {{"] + ["    " + s for s in lines] + ["}"]

    def define(self, qualified, fields):
        out = []
        for f in fields:
            if f.present() and f.is_struct_elem:
                out += self.define(f"{qualified}::{f.type_name}", self.struct_fields(f))
        flex = self.flex.condition(*self.served)
        lo, hi = self.served
        # read
        body = []
        tagged = [f for f in fields if f.present() and f.tagged is not None]
        for f in fields:
            if not f.present() or f.tagged is not None:
                continue
            body += self.guarded(f.versions.condition(lo, hi), self.read_value(f, f.name))
        if self.flex.intersects(lo, hi):
            tag_lines = ["r.tagged_fields([&](std::uint32_t tag, wire_reader& r) {", "    switch (tag) {"]
            for f in tagged:
                cond = f.tagged.condition(lo, hi)
                if cond == "false":
                    continue
                inner = self.read_value(f, f.name)
                tag_lines.append(f"        case {f.tag}:")
                if cond:
                    tag_lines += [f"            if (!({cond})) {{", "                return false;", "            }"]
                tag_lines += ["            " + s for s in inner]
                tag_lines.append("            return true;")
            tag_lines += ["        default:", "            return false; // unknown: skipped", "    }", "});"]
            if not tagged:
                tag_lines = ["r.tagged_fields([](std::uint32_t, wire_reader&) { return false; });"]
            body += self.guarded(flex, tag_lines)
        out.append(f"void {qualified}::read(wire_reader& r, std::int16_t version)")
        out.append("{")
        out.append("    (void)r; // unused when no served version has a field")
        out.append("    (void)version;")
        out += ["    " + s for s in body]
        out += ["}", ""]
        # write
        body = []
        for f in fields:
            if not f.present() or f.tagged is not None:
                continue
            body += self.guarded(f.versions.condition(lo, hi), self.write_value(f, f.name))
        if self.flex.intersects(lo, hi):
            tag_lines = ["tagged_field_writer tags;"]
            for f in tagged:
                cond = f.tagged.condition(lo, hi)
                if cond == "false":
                    continue
                if f.is_array and not f.may_be_null():
                    nondefault = f"!{f.name}.empty()"
                else:
                    d = self.default_expr(f) or "{}"
                    nondefault = f"{f.name} != decltype({f.name}){{ {d} }}" if d != "std::nullopt" else f"{f.name}.has_value()"
                full = f"({cond}) && {nondefault}" if cond else nondefault
                tag_lines += [f"if ({full}) {{", f"    auto& t = tags.add({f.tag});"]
                tag_lines += ["    " + s.replace("w.", "t.").replace("(w, version)", "(t, version)") for s in self.write_value(f, f.name)]
                tag_lines.append("}")
            tag_lines.append("tags.write_to(w);")
            body += self.guarded(flex, tag_lines)
        out.append(f"void {qualified}::write(wire_writer& w, std::int16_t version) const")
        out.append("{")
        out.append("    (void)w;")
        out.append("    (void)version;")
        out += ["    " + s for s in body]
        out += ["}", ""]
        return out


HEADER_PREAMBLE = """// clang-format off
// (the generator's layout is the reference: kafka_codegen_current compares it)
// Generated by tools/kafka-codegen/kafka_codegen.py from Kafka's {files}; do not edit.
// Versions {lo}-{hi}; read() records failures in the reader (wire_reader::ok()).
#pragma once

#include "wire/wire_reader.h"
#include "wire/wire_writer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plexus::protocol::kafka::generated {{
"""


def emit_api(messages_dir, out_dir, api, served, header_only=False):
    names = [api] if header_only else [api + "Request", api + "Response"]
    defs = [load(os.path.join(messages_dir, n + ".json")) for n in names]
    base = snake(api)
    h = [HEADER_PREAMBLE.format(files=" and ".join(n + ".json" for n in names), lo=served[0], hi=served[1])]
    cc = [
        "// clang-format off",
        "// (the generator's layout is the reference: kafka_codegen_current compares it)",
        f"// Generated by tools/kafka-codegen/kafka_codegen.py; do not edit.",
        f'#include "generated/{base}.h"',
        "",
        "namespace plexus::protocol::kafka::generated {",
        "",
    ]
    for d in defs:
        valid = Versions(d["validVersions"])
        lo, hi = max(served[0], valid.lo), min(served[1], valid.hi)
        g = Generator(d, (lo, hi))
        struct = snake(d["name"])
        key = d.get("apiKey")
        h += g.declare(struct, g.fields, 0, set())[:-1]
        if key is not None:
            h.append(f"    static constexpr std::int16_t kafka_api_key = {key};")
        h.append(f"    static constexpr std::int16_t lowest_version = {lo};")
        h.append(f"    static constexpr std::int16_t highest_version = {hi};")
        h.append("    /// True when `version` uses the flexible encoding (compact types, tagged fields).")
        flex = g.flex.condition(lo, hi) or "true"
        h.append(f"    static constexpr bool flexible(std::int16_t version) noexcept {{ return {flex.replace('version', 'version')}; }}")
        if flex == "false":
            h[-1] = "    static constexpr bool flexible(std::int16_t) noexcept { return false; }"
        h.append("};")
        h.append("")
        cc += g.define(struct, g.fields)
    h.append("} // namespace plexus::protocol::kafka::generated")
    cc.append("} // namespace plexus::protocol::kafka::generated")
    write(os.path.join(out_dir, base + ".h"), "\n".join(h) + "\n")
    write(os.path.join(out_dir, base + ".cc"), "\n".join(cc) + "\n")
    return [base + ".h", base + ".cc"]


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: kafka_codegen.py <kafka messages dir> <output dir>\n")
        return 2
    messages_dir, out_dir = argv[1], argv[2]
    os.makedirs(out_dir, exist_ok=True)
    files = []
    for api, served in HEADERS.items():
        files += emit_api(messages_dir, out_dir, api, served, header_only=True)
    for api, served in SERVED.items():
        files += emit_api(messages_dir, out_dir, api, served)
    write(os.path.join(out_dir, "sources.cmake"),
          "# Generated by tools/kafka-codegen/kafka_codegen.py; do not edit.\nset(PLEXUS_KAFKA_GENERATED_SOURCES\n"
          + "".join(f"  src/generated/{f}\n" for f in files if f.endswith(".cc")) + ")\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
