// Text-format parsing with locations and complete error reports (see textproto.h).
//
// protobuf's TextFormat parser stops at the first hard error. To report every error in one
// go, parse_text() parses repeatedly: after a hard error it blanks out the field statement
// that holds it (keeping lines and columns) and parses again. Unknown fields are parsed as
// warnings (the parser skips them and goes on) and reported as errors. Messages are
// reworded to name the field, its type and the valid names where that helps.
#include "src/io/textproto.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "options.pb.h"
#include "src/io/textproto_internal.h"
#include "src/io/textproto_tokens.h"

namespace xpusim::io {

namespace pb = google::protobuf;
using pb::FieldDescriptor;
using pb::Message;
using ParseLocation = pb::TextFormat::ParseLocation;
using ParseInfoTree = pb::TextFormat::ParseInfoTree;
using namespace detail;  // NOLINT: the helpers of textproto_tokens.h

// ---- LocationMap, join_path -------------------------------------------------------------

SourceLoc LocationMap::find(std::string_view path) const {
  std::string p(path);
  while (!p.empty()) {
    if (auto it = locs_.find(p); it != locs_.end()) return it->second;
    const size_t cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p.resize(cut);
  }
  return root_;
}

void LocationMap::erase_under(std::string_view prefix) {
  auto it = locs_.lower_bound(std::string(prefix));
  while (it != locs_.end() && it->first.starts_with(prefix)) {
    if (detail::path_under(it->first, prefix)) {
      it = locs_.erase(it);
    } else {
      ++it;
    }
  }
}

void LocationMap::move_under(std::string_view from, std::string_view to) {
  std::vector<std::pair<std::string, SourceLoc>> moved;
  for (auto it = locs_.lower_bound(std::string(from)); it != locs_.end() && it->first.starts_with(from); ++it) {
    if (detail::path_under(it->first, from)) {
      moved.emplace_back(std::string(to) + it->first.substr(from.size()), it->second);
    }
  }
  erase_under(from);
  erase_under(to);
  for (auto& [key, loc] : moved) locs_[key] = std::move(loc);
}

std::string join_path(std::string_view parent, std::string_view field, int index) {
  std::string out(parent);
  if (!out.empty() && !field.empty()) out += '.';
  out += field;
  if (index >= 0) out += fmt::format("[{}]", index);
  return out;
}

// ---- shared helpers (textproto_internal.h) ----------------------------------------------

namespace detail {

bool is_set(const Message& m, const FieldDescriptor* f) {
  const pb::Reflection* r = m.GetReflection();
  return f->is_repeated() ? r->FieldSize(m, f) > 0 : r->HasField(m, f);
}

std::vector<const FieldDescriptor*> merge_keys(const pb::Descriptor* d) {
  std::vector<const FieldDescriptor*> keys;
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->options().GetExtension(proto::merge_key)) keys.push_back(d->field(i));
  }
  return keys;
}

static std::string value_text(const Message& m, const FieldDescriptor* f, int index) {
  std::string s;
  pb::TextFormat::PrintFieldValueToString(m, f, index, &s);
  return s;
}

bool keys_equal(const Message& a, const Message& b, const std::vector<const FieldDescriptor*>& keys) {
  for (const FieldDescriptor* f : keys) {
    if (!f->is_repeated()) {
      if (value_text(a, f, -1) != value_text(b, f, -1)) return false;
      continue;
    }
    const int n = a.GetReflection()->FieldSize(a, f);
    if (n != b.GetReflection()->FieldSize(b, f)) return false;
    for (int i = 0; i < n; ++i) {
      if (value_text(a, f, i) != value_text(b, f, i)) return false;
    }
  }
  return true;
}

std::string field_names(const pb::Descriptor* d) {
  std::string out;
  for (int i = 0; i < d->field_count(); ++i) out += (i ? ", " : "") + d->field(i)->name();
  return out;
}

std::string enum_names(const pb::EnumDescriptor* e) {
  std::string out;
  for (int i = 0; i < e->value_count(); ++i) out += (i ? ", " : "") + e->value(i)->name();
  return out;
}

std::string type_label(const FieldDescriptor* f) {
  if (f->enum_type()) return "enum " + f->enum_type()->name();
  if (f->message_type()) return "message " + f->message_type()->name();
  return f->type_name();
}

bool path_under(std::string_view key, std::string_view prefix) {
  if (prefix.empty()) return true;
  if (!key.starts_with(prefix)) return false;
  return key.size() == prefix.size() || key[prefix.size()] == '.' || key[prefix.size()] == '[';
}

}  // namespace detail

// ---- parsing ----------------------------------------------------------------------------

namespace {

constexpr int kMaxRounds = 50;  // hard errors reported from one file before giving up

// Records what the parser reports; positions are 0-based as protobuf gives them.
class Collector : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber col, const std::string& msg) override {
    raw.push_back({line, col, msg, false});
  }
  void AddWarning(int line, pb::io::ColumnNumber col, const std::string& msg) override {
    raw.push_back({line, col, msg, true});
  }
  std::vector<RawDiag> raw;
};

struct Round {
  bool ok = false;
  std::vector<RawDiag> raw;
  std::unique_ptr<ParseInfoTree> tree = std::make_unique<ParseInfoTree>();
};

Round parse_round(const std::string& text, Message* out) {
  Round r;
  Collector collector;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(r.tree.get());
  parser.AllowUnknownField(true);  // reported as warnings, turned into errors below
  r.ok = parser.ParseFromString(text, out);
  r.raw = std::move(collector.raw);
  return r;
}

// Replaces the characters of [from, to) with spaces, keeping newlines and tabs so that
// every later line and column stays where it was.
void blank_out(std::string* text, TokPos from, TokPos to) {
  std::vector<size_t> starts{0};
  for (size_t i = 0; i < text->size(); ++i) {
    if ((*text)[i] == '\n') starts.push_back(i + 1);
  }
  auto offset = [&](TokPos p) {
    size_t i = starts.at(static_cast<size_t>(p.line));
    for (int c = 0; i < text->size() && (*text)[i] != '\n' && c < p.col; ++i) {
      c = (*text)[i] == '\t' ? c + 8 - c % 8 : c + 1;
    }
    return i;
  };
  for (size_t i = offset(from), end = offset(to); i < end; ++i) {
    if ((*text)[i] != '\n' && (*text)[i] != '\t' && (*text)[i] != '\r') (*text)[i] = ' ';
  }
}

// ---- walking the parsed message: locations and value checks -----------------------------

struct Walk {
  const Toks& toks;
  const std::string& file;
  LocationMap* locs;
  std::vector<InputError>* errors;

  SourceLoc loc(TokPos p) const { return {file, p.line + 1, p.col + 1}; }
};

void walk(const Message& m, const ParseInfoTree& tree, const std::string& prefix, const Walk& w);

// Enum numbers with no name and floats that overflowed to infinity pass the parser.
void check_scalar(const Message& m, const FieldDescriptor* f, int k, TokPos pos, const Walk& w) {
  const pb::Reflection* r = m.GetReflection();
  const size_t v = value_token(w.toks, pos);
  if (v >= w.toks.size()) return;
  const TokPos at{w.toks[v].line, w.toks[v].col};
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    const int n = k < 0 ? r->GetEnumValue(m, f) : r->GetRepeatedEnumValue(m, f, k);
    if (f->enum_type()->FindValueByNumber(n) == nullptr) {
      w.errors->push_back({w.loc(at), fmt::format("field \"{}\" ({}): unknown value {}; valid values: {}", f->name(),
                                                  detail::type_label(f), n, detail::enum_names(f->enum_type()))});
    }
    return;
  }
  double x = 0;
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) x = k < 0 ? r->GetDouble(m, f) : r->GetRepeatedDouble(m, f, k);
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) x = k < 0 ? r->GetFloat(m, f) : r->GetRepeatedFloat(m, f, k);
  if (!std::isinf(x) || written_as_infinity(w.toks, v)) return;
  w.errors->push_back({w.loc(at), fmt::format("field \"{}\" ({}): value {} is out of range", f->name(),
                                              detail::type_label(f), value_spelling(w.toks, v))});
}

void walk_value(const Message& m, const FieldDescriptor* f, int k, const ParseInfoTree& tree, const std::string& path,
                TokPos pos, const Walk& w) {
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    check_scalar(m, f, k, pos, w);
    return;
  }
  const pb::Reflection* r = m.GetReflection();
  const Message& sub = k < 0 ? r->GetMessage(m, f) : r->GetRepeatedMessage(m, f, k);
  if (const ParseInfoTree* subtree = tree.GetTreeForNested(f, k)) walk(sub, *subtree, path, w);
}

// Where each element of a repeated field was written. The parse tree has one range per
// statement ("unit {...}" or "shape: [1, 2]"); a list statement holds several elements.
std::vector<TokPos> element_positions(const ParseInfoTree& tree, const FieldDescriptor* f, int size, const Toks& t) {
  std::vector<TokPos> out;
  for (int s = 0; static_cast<int>(out.size()) < size; ++s) {
    const ParseLocation start = tree.GetLocation(f, s);
    if (start.line < 0) break;
    size_t p = token_at(t, {start.line, start.column}) + 1;
    if (p < t.size() && is_sym(t[p], ':')) ++p;
    if (p < t.size() && is_sym(t[p], '[')) {
      list_elements(t, p, &out);
    } else {
      out.push_back({start.line, start.column});
    }
  }
  return out;
}

void walk(const Message& m, const ParseInfoTree& tree, const std::string& prefix, const Walk& w) {
  const pb::Descriptor* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (!detail::is_set(m, f)) continue;
    const std::string path = join_path(prefix, f->name());
    const ParseLocation first = tree.GetLocation(f, f->is_repeated() ? 0 : -1);
    const TokPos first_pos{first.line, first.column};
    if (first.line >= 0) w.locs->set(path, w.loc(first_pos));
    if (!f->is_repeated()) {
      walk_value(m, f, -1, tree, path, first_pos, w);
      continue;
    }
    const int size = m.GetReflection()->FieldSize(m, f);
    const std::vector<TokPos> elems = element_positions(tree, f, size, w.toks);
    for (int k = 0; k < size; ++k) {
      const std::string elem_path = join_path(prefix, f->name(), k);
      const TokPos pos = k < static_cast<int>(elems.size()) ? elems[static_cast<size_t>(k)] : first_pos;
      if (pos.line >= 0) w.locs->set(elem_path, w.loc(pos));
      walk_value(m, f, k, tree, elem_path, pos, w);
    }
  }
}

void sort_errors(std::vector<InputError>* errors) {
  std::stable_sort(errors->begin(), errors->end(), [](const InputError& a, const InputError& b) {
    return std::tie(a.loc.line, a.loc.col) < std::tie(b.loc.line, b.loc.col);
  });
}

bool read_file(const std::string& path, std::string* text, std::string* why) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    *why = "file not found";
    return false;
  }
  if (fs::is_directory(path, ec)) {
    *why = "is a directory, not a file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *why = "cannot open file";
    return false;
  }
  std::ostringstream buf;
  buf << in.rdbuf();  // sets failbit on `buf` for an empty file, which is fine
  if (in.bad()) {
    *why = "cannot read file";
    return false;
  }
  *text = std::move(buf).str();
  return true;
}

}  // namespace

void parse_text(const std::string& text, const std::string& name, Message* out, LocationMap* where) {
  const pb::Descriptor* root = out->GetDescriptor();
  std::string work = text;
  std::vector<InputError> errors;
  std::set<std::tuple<int, int, std::string>> seen;  // each diagnostic is reported once
  bool truncated = false;
  LocationMap locs;
  locs.set_root(SourceLoc{name});
  for (int round = 0;; ++round) {
    Round r = parse_round(work, out);
    const Toks toks = tokenize(work);
    std::pair<TokPos, TokPos> blank;  // what to skip after the hard error, if recoverable
    bool recoverable = false;
    for (const RawDiag& raw : r.raw) {
      const bool fresh = seen.insert({raw.line, raw.col, raw.msg}).second;
      if (!raw.warning) recoverable = false;  // the last hard error ended the parse
      if (!fresh) continue;
      Diagnosis dg = diagnose(raw, toks, root);
      errors.push_back({SourceLoc{name, dg.at.line + 1, dg.at.col + 1}, std::move(dg.message)});
      if (!raw.warning && dg.blank) {
        recoverable = true;
        blank = *dg.blank;
      }
    }
    if (r.ok) {
      walk(*out, *r.tree, "", Walk{toks, name, &locs, &errors});
      break;
    }
    if (!recoverable) break;
    if (round + 1 == kMaxRounds) {
      truncated = true;
      break;
    }
    blank_out(&work, blank.first, blank.second);
  }
  sort_errors(&errors);
  if (truncated) errors.push_back({SourceLoc{name}, fmt::format("too many errors; stopped after {}", kMaxRounds)});
  if (!errors.empty()) throw InputErrors(std::move(errors));
  if (where) *where = std::move(locs);
}

void parse_text_file(const std::string& path, Message* out, LocationMap* where) {
  out->Clear();
  std::string text;
  std::string why;
  if (!read_file(path, &text, &why)) throw InputErrors(SourceLoc{path}, why);
  parse_text(text, path, out, where);
}

}  // namespace xpusim::io
