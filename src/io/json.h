// Protobuf messages as JSON, deterministically: fields in declaration order, every field
// written (defaults included), 64-bit integers as JSON numbers (not strings, unlike
// protobuf's own printer), doubles in their shortest round-trip form. The result parses
// with protobuf's JSON parser (json_format.Parse in Python) and plain json.load.
#pragma once

#include <google/protobuf/message.h>

#include <string>

namespace xpusim::io {

std::string to_json(const google::protobuf::Message& m, int indent = 2);

// Writes `text` to `path` atomically: a temporary file in the same directory, then rename.
// Errors are InputErrors naming the path.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace xpusim::io
