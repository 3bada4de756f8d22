// Loading human-written protobuf text files (configs, workloads) with precise error
// locations, `base:` inheritance and `--set` overrides. Used for every textproto input.
//
// Field paths name one field of a loaded message: "gpu.sm.unit[2].latency_cycles"
// (field names as in the .proto; [i] indexes a repeated field of the loaded, merged message).
#pragma once

#include <google/protobuf/message.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/engine/error.h"

namespace xpusim::io {

// Where each field of a loaded message was written (the file that set it last, after
// inheritance and overrides).
class LocationMap {
 public:
  void set(const std::string& path, SourceLoc loc) { locs_[path] = std::move(loc); }
  // The location of `path`; else of its nearest ancestor that has one ("a.b[2].c" ->
  // "a.b[2]" -> "a.b" -> "a"); else the root file with no line.
  SourceLoc find(std::string_view path) const;
  bool has(std::string_view path) const { return locs_.count(std::string(path)) != 0; }
  void set_root(SourceLoc loc) { root_ = std::move(loc); }
  const SourceLoc& root() const { return root_; }
  // Drops every entry under `prefix` (prefix itself included).
  void erase_under(std::string_view prefix);
  // Re-keys entries under `from` to `to` (used when merging repeated elements).
  void move_under(std::string_view from, std::string_view to);
  const std::map<std::string, SourceLoc>& entries() const { return locs_; }

 private:
  std::map<std::string, SourceLoc> locs_;
  SourceLoc root_;
};

// Parses one text-format file into *out (cleared first) and records every field's
// location. Comments (#) are allowed. Syntax errors, unknown fields, unknown enum values,
// out-of-range numbers and duplicate non-repeated fields are InputErrors with
// file:line:col, all of them in one throw. A missing or unreadable file is an InputError.
void parse_text_file(const std::string& path, google::protobuf::Message* out, LocationMap* where);

// Same, for text already in memory (`name` is used in messages).
void parse_text(const std::string& text, const std::string& name, google::protobuf::Message* out,
                LocationMap* where);

// Loads `path`; if the message has a string field named "base" that is set, loads that
// file first (relative to the directory of the file naming it, recursively; a cycle is an
// error naming the chain) and merges this file over it:
//   * a scalar set in the child replaces the base's;
//   * a singular message merges field by field;
//   * a repeated message whose type has fields marked [(xpusim.proto.merge_key) = true]
//     merges element by element: a child element with the same key values as a base
//     element merges over it, others are appended in order;
//   * any other repeated field set in the child replaces the base's list.
// The "base" field is cleared in the result. Locations point to the file that set each
// field last.
void load_with_base(const std::string& path, google::protobuf::Message* out, LocationMap* where);

// Merges `child` over `base` by the rules above (exposed for tests and reuse).
void merge_over(google::protobuf::Message* base, const google::protobuf::Message& child);
// Same, and updates `base_locs` to match: every field the child set (and every element it
// merged or appended, under its index in the merged list) takes its location from
// `child_locs`; the entries of replaced lists and of replaced oneof members are dropped.
void merge_over(google::protobuf::Message* base, const google::protobuf::Message& child, LocationMap* base_locs,
                const LocationMap& child_locs);

// Applies one "path=value" override, e.g. "gpu.sm.scheduler=GTO", "gpu.num_sms=8",
// "gpu.sm.unit[FP32].latency_cycles=4" (an element selected by its key; created if no
// element has that key), "gpu.sm.unit[0].lanes=16" (by index), "sim.functional=false",
// "buffer[A].shape=[64,64]" (a repeated scalar given as a list). Values are checked
// against the field's type (integers in range, enums by name, bools true/false, floats,
// strings quoted or bare). Errors are InputErrors located at "<command line>" quoting the
// override and saying what is wrong (unknown field — with the valid names listed —, not a
// message, bad value, index out of range). The field's location becomes the override.
void apply_override(google::protobuf::Message* msg, std::string_view assignment, LocationMap* where);

// The field path of a repeated element or field, for validators: join("gpu.sm", "unit", 2)
// -> "gpu.sm.unit[2]"; join("gpu", "num_sms") -> "gpu.num_sms".
std::string join_path(std::string_view parent, std::string_view field, int index = -1);

}  // namespace xpusim::io
