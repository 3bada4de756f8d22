// Explains protobuf text-format parse errors: points at the offending token, names the
// field and its type, lists valid names, and finds the field statement to skip so that
// parsing can continue (see textproto.cc).
#include <fmt/format.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cctype>

#include "src/io/textproto_internal.h"
#include "src/io/textproto_tokens.h"

namespace xpusim::io::detail {

namespace pb = google::protobuf;
using pb::FieldDescriptor;
using Tokenizer = pb::io::Tokenizer;

namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

class Quiet : public pb::io::ErrorCollector {
 public:
  void AddError(int, pb::io::ColumnNumber, const std::string&) override {}
};

bool is_open(const Tok& t) { return is_sym(t, '{') || is_sym(t, '<') || is_sym(t, '['); }
bool is_close(const Tok& t) { return is_sym(t, '}') || is_sym(t, '>') || is_sym(t, ']'); }
bool is_ident(const Tok& t) { return t.type == Tokenizer::TYPE_IDENTIFIER; }

// Index of the bracket closing the one at t[open], or kNone.
size_t closing(const Toks& t, size_t open) {
  int depth = 0;
  for (size_t i = open; i < t.size(); ++i) {
    if (is_open(t[i])) ++depth;
    if (is_close(t[i]) && --depth == 0) return i;
  }
  return kNone;
}

// A field statement: "name: value", "name { ... }", "name: [ ... ]".
struct Stmt {
  size_t name;
  size_t value;  // first token after "name" and its optional ':'
  size_t last;
};

std::optional<Stmt> statement_from(const Toks& t, size_t k) {
  if (k + 1 >= t.size() || !is_ident(t[k])) return std::nullopt;
  size_t p = k + 1;
  const bool colon = is_sym(t[p], ':');
  if (colon) ++p;
  if (p >= t.size() || (!colon && !is_open(t[p]))) return std::nullopt;
  Stmt s{k, p, p};
  if (is_open(t[p])) {
    s.last = closing(t, p);
    if (s.last == kNone) return std::nullopt;
    return s;
  }
  if (is_sym(t[p], '-') && p + 1 < t.size()) ++p;
  while (p + 1 < t.size() && t[p].type == Tokenizer::TYPE_STRING && t[p + 1].type == Tokenizer::TYPE_STRING) ++p;
  s.last = p;
  return s;
}

// The innermost field statement holding token e.
std::optional<Stmt> statement_at(const Toks& t, size_t e) {
  for (size_t k = std::min(e + 1, t.size()); k-- > 0;) {
    if (auto s = statement_from(t, k); s && s->last >= e) return s;
  }
  return std::nullopt;
}

// The message type in which token e is written (nullptr inside unknown fields).
const pb::Descriptor* scope_at(const Toks& t, size_t e, const pb::Descriptor* root) {
  std::vector<const pb::Descriptor*> stack{root};
  for (size_t i = 0; i < e && i < t.size(); ++i) {
    if (is_close(t[i]) && stack.size() > 1) stack.pop_back();
    if (!is_open(t[i])) continue;
    const pb::Descriptor* d = nullptr;
    const size_t k = i > 0 && is_sym(t[i - 1], ':') ? i - 1 : i;
    if (k > 0 && is_ident(t[k - 1])) {
      const FieldDescriptor* f = stack.back() ? stack.back()->FindFieldByName(t[k - 1].text) : nullptr;
      d = f ? f->message_type() : nullptr;
    } else if (i > 0 && (is_sym(t[i - 1], '[') || is_sym(t[i - 1], ','))) {
      d = stack.back();  // an element of a list of messages: the list pushed the element type
    }
    stack.push_back(d);
  }
  return stack.back();
}

// "Expected integer, got: x." -> "expected integer, got: x"
std::string plain(std::string m) {
  if (m.size() > 1 && std::isupper(static_cast<unsigned char>(m[0])) && std::islower(static_cast<unsigned char>(m[1]))) {
    m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  }
  if (!m.empty() && m.back() == '.') m.pop_back();
  return m;
}

// The contents of each "..." in a protobuf message.
std::vector<std::string> quoted(const std::string& m) {
  std::vector<std::string> out;
  for (size_t a = m.find('"'); a != std::string::npos; a = m.find('"', a)) {
    const size_t b = m.find('"', a + 1);
    if (b == std::string::npos) break;
    out.push_back(m.substr(a + 1, b - a - 1));
    a = b + 1;
  }
  return out;
}

std::string at_end_of_file(const std::string& msg, const Toks& t) {
  std::vector<size_t> open;
  for (size_t i = 0; i < t.size(); ++i) {
    if (is_open(t[i])) open.push_back(i);
    if (is_close(t[i]) && !open.empty()) open.pop_back();
  }
  if (!open.empty()) {
    const Tok& o = t[open.back()];
    return fmt::format("unexpected end of file: \"{}\" opened at {}:{} is not closed", o.text, o.line + 1, o.col + 1);
  }
  std::string p = plain(msg);
  return p.ends_with(": ") ? p + "end of file" : p;
}

Diagnosis unknown_field(const std::string& msg, const Toks& t, size_t name, const pb::Descriptor* root) {
  const std::vector<std::string> q = quoted(msg);
  const pb::Descriptor* type = q.empty() ? nullptr : root->file()->pool()->FindMessageTypeByName(q[0]);
  std::string text = fmt::format("unknown field \"{}\"", q.size() > 1 ? q[1] : t[name].text);
  if (type) text += fmt::format(" in {}; valid fields: {}", type->name(), field_names(type));
  return {{t[name].line, t[name].col}, std::move(text), std::nullopt};
}

// A message about the value (token e) of statement s.
std::string value_message(const std::string& msg, const Toks& t, const Stmt& s, size_t e, const pb::Descriptor* root) {
  const pb::Descriptor* scope = scope_at(t, s.name, root);
  const FieldDescriptor* f = scope ? scope->FindFieldByName(t[s.name].text) : nullptr;
  const std::string head = f ? fmt::format("field \"{}\" ({}): ", f->name(), type_label(f))
                             : fmt::format("field \"{}\": ", t[s.name].text);
  if (msg.starts_with("Unknown enumeration value")) {
    std::string out = head + fmt::format("unknown value \"{}\"", t[e].text);
    if (f && f->enum_type()) out += "; valid values: " + enum_names(f->enum_type());
    return out;
  }
  if (msg.starts_with("Invalid value for boolean field")) {
    return head + fmt::format("invalid value \"{}\"; expected true or false", t[e].text);
  }
  if (msg == "Expected integer, got: -") return head + "negative value for an unsigned field";
  return head + plain(msg);
}

std::pair<TokPos, TokPos> blank_range(const Toks& t, const Stmt& s) {
  size_t last = s.last;
  if (last + 1 < t.size() && (is_sym(t[last + 1], ',') || is_sym(t[last + 1], ';'))) ++last;
  return {{t[s.name].line, t[s.name].col}, {t[last].line, t[last].end_col}};
}

}  // namespace

bool is_sym(const Tok& t, char c) {
  return t.type == Tokenizer::TYPE_SYMBOL && t.text.size() == 1 && t.text[0] == c;
}

Toks tokenize(const std::string& text) {
  pb::io::ArrayInputStream in(text.data(), static_cast<int>(text.size()));
  Quiet quiet;  // the parser reports the same problems
  Tokenizer tokenizer(&in, &quiet);
  tokenizer.set_allow_f_after_float(true);
  tokenizer.set_comment_style(Tokenizer::SH_COMMENT_STYLE);
  Toks out;
  while (tokenizer.Next()) {
    const Tokenizer::Token& c = tokenizer.current();
    out.push_back({c.text, c.type, c.line, c.column, c.end_column});
  }
  return out;
}

size_t token_at(const Toks& t, TokPos pos) {
  auto before = [](const Tok& a, TokPos p) { return a.line < p.line || (a.line == p.line && a.col < p.col); };
  return static_cast<size_t>(std::lower_bound(t.begin(), t.end(), pos, before) - t.begin());
}

void list_elements(const Toks& t, size_t open, std::vector<TokPos>* out) {
  int depth = 1;
  bool starts = true;  // the next top-level token starts an element
  for (size_t j = open + 1; j < t.size() && depth > 0; ++j) {
    if (depth == 1 && starts && !is_sym(t[j], ']')) out->push_back({t[j].line, t[j].col});
    starts = depth == 1 && is_sym(t[j], ',');
    if (is_open(t[j])) ++depth;
    if (is_close(t[j])) --depth;
  }
}

size_t value_token(const Toks& t, TokPos pos) {
  const size_t i = token_at(t, pos);
  if (i + 1 < t.size() && is_ident(t[i]) && is_sym(t[i + 1], ':')) return i + 2;
  return i;
}

bool written_as_infinity(const Toks& t, size_t v) {
  if (v < t.size() && is_sym(t[v], '-')) ++v;
  if (v >= t.size()) return false;
  std::string s = t[v].text;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s.starts_with("inf");
}

std::string value_spelling(const Toks& t, size_t v) {
  if (v + 1 < t.size() && is_sym(t[v], '-')) return "-" + t[v + 1].text;
  return v < t.size() ? t[v].text : std::string();
}

Diagnosis diagnose(const RawDiag& raw, const Toks& t, const pb::Descriptor* root) {
  const std::string& m = raw.msg;
  Diagnosis d{{raw.line, raw.col}, plain(m), std::nullopt};
  size_t e = token_at(t, {raw.line, raw.col});
  if (e >= t.size() || t[e].line != raw.line || t[e].col != raw.col) {  // not at a token
    if (e >= t.size() && m.starts_with("Expected")) d.message = at_end_of_file(m, t);
    return d;
  }
  if (m.starts_with("Message type \"") && e > 0) return unknown_field(m, t, e - 1, root);
  if (m.starts_with("Ignoring extension")) {
    d.message = fmt::format("unknown extension \"{}\"", quoted(m).empty() ? "" : quoted(m)[0]);
    return d;
  }
  const bool names_field = m.starts_with("Non-repeated field") || m.find("another member of oneof") != std::string::npos;
  const bool after_value = m.starts_with("Unknown enumeration value") || m.starts_with("Invalid value for boolean");
  if ((names_field || after_value) && e > 0) --e;  // reported after the name or value it is about
  if (m.starts_with("Integer out of range") && e > 0 && is_sym(t[e - 1], '-')) --e;
  d.at = {t[e].line, t[e].col};
  const std::optional<Stmt> s = statement_at(t, e);
  if (s) d.blank = blank_range(t, *s);
  if (m.starts_with("Non-repeated field")) {
    const std::vector<std::string> q = quoted(m);
    d.message = fmt::format("field \"{}\" is given more than once (it is not repeated)", q.empty() ? "" : q[0]);
  } else if (s && !names_field && e >= s->value && !is_sym(t[s->value], '{') && !is_sym(t[s->value], '<')) {
    d.message = value_message(m, t, *s, e, root);
  }
  return d;
}

}  // namespace xpusim::io::detail
