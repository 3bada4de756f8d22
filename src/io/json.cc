#include "src/io/json.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "src/engine/error.h"

namespace xpusim::io {

namespace pb = google::protobuf;

namespace {

void quote(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
  out += '"';
}

void number(std::string& out, double v) {
  if (std::isnan(v)) out += "\"NaN\"";
  else if (std::isinf(v)) out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  else if (v == std::floor(v) && std::fabs(v) < 1e15) out += fmt::format("{:.1f}", v);
  else out += fmt::format("{}", v);
}

void message(std::string& out, const pb::Message& m, int indent, int depth);

void value(std::string& out, const pb::Message& m, const pb::FieldDescriptor* f, int i, int indent, int depth) {
  const pb::Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: out += std::to_string(rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f)); break;
    case pb::FieldDescriptor::CPPTYPE_INT64: out += std::to_string(rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f)); break;
    case pb::FieldDescriptor::CPPTYPE_UINT32: out += std::to_string(rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f)); break;
    case pb::FieldDescriptor::CPPTYPE_UINT64: out += std::to_string(rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f)); break;
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: number(out, rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f)); break;
    case pb::FieldDescriptor::CPPTYPE_FLOAT: number(out, rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f)); break;
    case pb::FieldDescriptor::CPPTYPE_BOOL: out += (rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f)) ? "true" : "false"; break;
    case pb::FieldDescriptor::CPPTYPE_ENUM: quote(out, (rep ? r->GetRepeatedEnum(m, f, i) : r->GetEnum(m, f))->name()); break;
    case pb::FieldDescriptor::CPPTYPE_STRING: quote(out, rep ? r->GetRepeatedString(m, f, i) : r->GetString(m, f)); break;
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      message(out, rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f), indent, depth);
      break;
  }
}

void newline(std::string& out, int indent, int depth) {
  if (!indent) return;
  out += '\n';
  out.append(static_cast<size_t>(indent * depth), ' ');
}

void message(std::string& out, const pb::Message& m, int indent, int depth) {
  const pb::Descriptor* d = m.GetDescriptor();
  const pb::Reflection* r = m.GetReflection();
  out += '{';
  bool first = true;
  for (int k = 0; k < d->field_count(); ++k) {
    const pb::FieldDescriptor* f = d->field(k);
    const bool optional_scalar = f->has_presence() && f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE;
    if (optional_scalar && !r->HasField(m, f)) continue;  // an unset `optional` field
    if (!first) out += ',';
    first = false;
    newline(out, indent, depth + 1);
    quote(out, f->name());
    out += indent ? ": " : ":";
    if (!f->is_repeated()) {
      value(out, m, f, 0, indent, depth + 1);
      continue;
    }
    const int n = r->FieldSize(m, f);
    out += '[';
    for (int i = 0; i < n; ++i) {
      if (i) out += ',';
      newline(out, indent, depth + 2);
      value(out, m, f, i, indent, depth + 2);
    }
    if (n) newline(out, indent, depth + 1);
    out += ']';
  }
  newline(out, indent, depth);
  out += '}';
}

}  // namespace

std::string to_json(const pb::Message& m, int indent) {
  std::string out;
  message(out, m, indent, 0);
  out += '\n';
  return out;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const fs::path tmp = p.parent_path() / ("." + p.filename().string() + ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw InputErrors(SourceLoc{path, 0, 0}, "cannot write file");
    f << text;
    f.flush();
    if (!f) throw InputErrors(SourceLoc{path, 0, 0}, "cannot write file (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
  if (ec) throw InputErrors(SourceLoc{path, 0, 0}, "cannot replace file: " + ec.message());
}

}  // namespace xpusim::io
