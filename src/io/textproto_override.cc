// `--set path=value` overrides: apply_override() (see textproto.h).
//
// Path syntax: fields separated by '.'; a repeated message field takes a selector, either
// an index (`unit[0]`) or its merge-key values (`unit[FP32]`, `tensor[m16n8k16,FP16]`,
// `buffer["A"]`); a repeated scalar takes an index (`shape[1]=64`) or a whole list
// (`shape=[64,64]`, `shape=[]`).
#include <cfloat>
#include <charconv>
#include <cmath>
#include <memory>
#include <optional>

#include "src/io/textproto.h"
#include "src/io/textproto_internal.h"

namespace xpusim::io {

namespace pb = google::protobuf;
using pb::FieldDescriptor;
using pb::Message;
using pb::Reflection;

namespace {

constexpr int kAdd = -2;  // store(): append instead of setting

// What is wrong with an override; apply_override() turns it into an InputError.
struct Bad {
  std::string what;
};

template <typename... Args>
[[noreturn]] void bad(fmt::format_string<Args...> f, Args&&... args) {
  throw Bad{fmt::format(f, std::forward<Args>(args)...)};
}

SourceLoc command_line() { return SourceLoc{"<command line>"}; }

std::string_view trim(std::string_view s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return {};
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

bool is_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Splits "a, "b,c", d" at the commas outside quotes; "" gives no items.
std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  if (trim(s).empty()) return out;
  char quote = 0;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    const char c = i < s.size() ? s[i] : ',';
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == ',') {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

// ---- values -----------------------------------------------------------------------------

struct Int {
  bool negative = false;
  uint64_t magnitude = 0;
};

Int parse_int(std::string_view s) {
  Int v;
  std::string_view d = s;
  if (!d.empty() && (d[0] == '-' || d[0] == '+')) {
    v.negative = d[0] == '-';
    d.remove_prefix(1);
  }
  int base = 10;
  if (d.size() > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) {
    base = 16;
    d.remove_prefix(2);
  }
  const auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), v.magnitude, base);
  if (d.empty() || ec == std::errc::invalid_argument || end != d.data() + d.size()) {
    bad("expected an integer, got \"{}\"", s);
  }
  if (ec == std::errc::result_out_of_range) bad("{} is out of range", s);
  return v;
}

int64_t to_signed(std::string_view s, int64_t lo, int64_t hi) {
  const Int v = parse_int(s);
  const uint64_t limit = v.negative ? static_cast<uint64_t>(-(lo + 1)) + 1 : static_cast<uint64_t>(hi);
  if (v.magnitude > limit) bad("{} is out of range [{}, {}]", s, lo, hi);
  return v.negative ? static_cast<int64_t>(0 - v.magnitude) : static_cast<int64_t>(v.magnitude);
}

uint64_t to_unsigned(std::string_view s, uint64_t hi) {
  const Int v = parse_int(s);
  if (v.negative && v.magnitude != 0) bad("negative value {} for an unsigned field", s);
  if (v.magnitude > hi) bad("{} is out of range [0, {}]", s, hi);
  return v.magnitude;
}

double to_real(std::string_view s, bool single) {
  std::string_view d = s;
  if (d.starts_with('+')) d.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), v);
  if (d.empty() || ec == std::errc::invalid_argument || end != d.data() + d.size()) {
    bad("expected a number, got \"{}\"", s);
  }
  if (ec == std::errc::result_out_of_range || (single && std::isfinite(v) && std::fabs(v) > FLT_MAX)) {
    bad("{} is out of range for {}", s, single ? "float" : "double");
  }
  return v;
}

bool to_bool(std::string_view s) {
  if (s == "true") return true;
  if (s == "false") return false;
  bad("expected true or false, got \"{}\"", s);
}

int to_enum(std::string_view s, const pb::EnumDescriptor* e) {
  const pb::EnumValueDescriptor* v = e->FindValueByName(std::string(s));
  if (!v) bad("unknown value \"{}\"; valid values: {}", s, detail::enum_names(e));
  return v->number();
}

// "a b" and 'a b' lose their quotes (with \" \\ \n \t escapes); anything else is taken as is.
std::string to_string(std::string_view s) {
  if (s.size() < 2 || (s.front() != '"' && s.front() != '\'') || s.back() != s.front()) return std::string(s);
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 2 < s.size()) {
      c = s[++i];
      if (c == 'n') c = '\n';
      if (c == 't') c = '\t';
    }
    out += c;
  }
  return out;
}

// Sets (index -1), sets element `index`, or appends (kAdd) through the matching Reflection call.
template <typename T, typename Set, typename SetRepeated, typename Add>
void put(Message* m, const FieldDescriptor* f, int index, T v, Set set, SetRepeated set_repeated, Add add) {
  const Reflection* r = m->GetReflection();
  if (index == kAdd) {
    (r->*add)(m, f, v);
  } else if (index >= 0) {
    (r->*set_repeated)(m, f, index, v);
  } else {
    (r->*set)(m, f, v);
  }
}

void store_value(Message* m, const FieldDescriptor* f, int i, std::string_view s) {
  using R = Reflection;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return put(m, f, i, static_cast<int32_t>(to_signed(s, INT32_MIN, INT32_MAX)), &R::SetInt32, &R::SetRepeatedInt32,
                 &R::AddInt32);
    case FieldDescriptor::CPPTYPE_INT64:
      return put(m, f, i, to_signed(s, INT64_MIN, INT64_MAX), &R::SetInt64, &R::SetRepeatedInt64, &R::AddInt64);
    case FieldDescriptor::CPPTYPE_UINT32:
      return put(m, f, i, static_cast<uint32_t>(to_unsigned(s, UINT32_MAX)), &R::SetUInt32, &R::SetRepeatedUInt32,
                 &R::AddUInt32);
    case FieldDescriptor::CPPTYPE_UINT64:
      return put(m, f, i, to_unsigned(s, UINT64_MAX), &R::SetUInt64, &R::SetRepeatedUInt64, &R::AddUInt64);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return put(m, f, i, to_real(s, false), &R::SetDouble, &R::SetRepeatedDouble, &R::AddDouble);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return put(m, f, i, static_cast<float>(to_real(s, true)), &R::SetFloat, &R::SetRepeatedFloat, &R::AddFloat);
    case FieldDescriptor::CPPTYPE_BOOL:
      return put(m, f, i, to_bool(s), &R::SetBool, &R::SetRepeatedBool, &R::AddBool);
    case FieldDescriptor::CPPTYPE_ENUM:
      return put(m, f, i, to_enum(s, f->enum_type()), &R::SetEnumValue, &R::SetRepeatedEnumValue, &R::AddEnumValue);
    case FieldDescriptor::CPPTYPE_STRING:
      return put(m, f, i, to_string(s), &R::SetString, &R::SetRepeatedString, &R::AddString);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  bad("{} is a message, not a value", f->name());
}

// store_value() with the field's path and type in front of any complaint.
void store(Message* m, const FieldDescriptor* f, int i, std::string_view s, const std::string& path) {
  try {
    store_value(m, f, i, s);
  } catch (Bad& b) {
    b.what = fmt::format("{} ({}): {}", path, detail::type_label(f), b.what);
    throw;
  }
}

// ---- paths ------------------------------------------------------------------------------

struct Segment {
  std::string name;
  std::optional<std::string> selector;  // the text inside [...]
};

size_t closing_bracket(std::string_view s, size_t open) {
  char quote = 0;
  for (size_t i = open + 1; i < s.size(); ++i) {
    if (quote) {
      if (s[i] == '\\') ++i;
      else if (s[i] == quote) quote = 0;
    } else if (s[i] == '"' || s[i] == '\'') {
      quote = s[i];
    } else if (s[i] == ']') {
      return i;
    }
  }
  return std::string_view::npos;
}

std::vector<Segment> parse_path(std::string_view path) {
  if (path.empty()) bad("empty field path before '='");
  std::vector<Segment> out;
  for (size_t i = 0;;) {
    const size_t end = path.find_first_of(".[", i);
    Segment seg{std::string(trim(path.substr(i, end - i))), std::nullopt};
    if (seg.name.empty()) bad("empty field name in \"{}\"", path);
    i = end;
    if (i != std::string_view::npos && path[i] == '[') {
      const size_t close = closing_bracket(path, i);
      if (close == std::string_view::npos) bad("missing ']' after \"{}[\"", seg.name);
      seg.selector = std::string(trim(path.substr(i + 1, close - i - 1)));
      if (seg.selector->empty()) bad("empty [] after \"{}\"; give an index or a key", seg.name);
      i = close + 1;
    }
    out.push_back(std::move(seg));
    if (i == std::string_view::npos || i == path.size()) return out;
    if (path[i] != '.') bad("expected '.' after \"{}[...]\" in \"{}\"", out.back().name, path);
    ++i;
  }
}

std::string key_names(const std::vector<const FieldDescriptor*>& keys) {
  std::string out;
  for (const FieldDescriptor* k : keys) out += (out.empty() ? "" : ",") + k->name();
  return out;
}

const FieldDescriptor* field_of(const Message& m, const std::string& name, const std::string& path) {
  const pb::Descriptor* d = m.GetDescriptor();
  const FieldDescriptor* f = d->FindFieldByName(name);
  if (f) return f;
  if (path.empty()) bad("unknown field \"{}\" in {}; valid fields: {}", name, d->name(), detail::field_names(d));
  bad("unknown field \"{}\" in {} ({}); valid fields: {}", name, path, d->name(), detail::field_names(d));
}

int to_index(const std::string& selector, int size, const std::string& path) {
  int index = 0;
  const auto [end, ec] = std::from_chars(selector.data(), selector.data() + selector.size(), index);
  if (ec != std::errc() || index >= size) {
    bad("index {} is out of range: {} has {} element{}", selector, path, size, size == 1 ? "" : "s");
  }
  return index;
}

// The element of repeated message field `f` that the selector names; an element selected
// by a key that no element has is created.
int select(Message* m, const FieldDescriptor* f, const std::string& sel, const std::string& path, LocationMap* locs) {
  const Reflection* r = m->GetReflection();
  const int size = r->FieldSize(*m, f);
  if (is_digits(sel)) return to_index(sel, size, path);
  const std::vector<const FieldDescriptor*> keys = detail::merge_keys(f->message_type());
  if (keys.empty()) bad("elements of {} have no key; select one by index: {}[0]", path, f->name());
  const std::vector<std::string_view> parts = split_list(sel);
  if (parts.size() != keys.size()) {
    bad("elements of {} are keyed by {}; give {} value{} in [...]", path, key_names(keys), keys.size(),
        keys.size() == 1 ? "" : "s");
  }
  std::unique_ptr<Message> probe(r->GetMessageFactory()->GetPrototype(f->message_type())->New());
  for (size_t k = 0; k < keys.size(); ++k) store(probe.get(), keys[k], -1, parts[k], path + " key " + keys[k]->name());
  for (int i = 0; i < size; ++i) {
    if (detail::keys_equal(r->GetRepeatedMessage(*m, f, i), *probe, keys)) return i;
  }
  r->AddMessage(m, f)->CopyFrom(*probe);
  const std::string elem = join_path(path, "", size);
  locs->erase_under(elem);
  locs->set(elem, command_line());
  for (const FieldDescriptor* k : keys) locs->set(join_path(elem, k->name()), command_line());
  if (!locs->has(path)) locs->set(path, command_line());
  return size;
}

// Steps from `m` into its message field `f` (an element of it when repeated).
Message* step_into(Message* m, const FieldDescriptor* f, const Segment& seg, std::string* path, LocationMap* locs) {
  const std::string fpath = join_path(*path, f->name());
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    bad("{} is a {}, not a message; it has no fields", fpath, detail::type_label(f));
  }
  const Reflection* r = m->GetReflection();
  if (!f->is_repeated()) {
    if (seg.selector) bad("{} is not a repeated field; remove \"[{}]\"", fpath, *seg.selector);
    if (!locs->has(fpath)) locs->set(fpath, command_line());
    *path = fpath;
    return r->MutableMessage(m, f);
  }
  if (!seg.selector) {
    const std::vector<const FieldDescriptor*> keys = detail::merge_keys(f->message_type());
    const std::string by_key = keys.empty() ? "" : fmt::format(" or {}[{}]", f->name(), key_names(keys));
    bad("{} is a repeated field; select an element: {}[0]{}", fpath, f->name(), by_key);
  }
  const int index = select(m, f, *seg.selector, fpath, locs);
  *path = join_path(*path, f->name(), index);
  return r->MutableRepeatedMessage(m, f, index);
}

void set_list(Message* m, const FieldDescriptor* f, std::string_view value, const std::string& fpath, LocationMap* locs) {
  if (value.size() < 2 || value.front() != '[' || value.back() != ']') {
    bad("{} is a repeated field; give a list such as [1, 2] (or select an element: {}[0])", fpath, f->name());
  }
  const std::vector<std::string_view> items = split_list(value.substr(1, value.size() - 2));
  m->GetReflection()->ClearField(m, f);
  locs->erase_under(fpath);
  locs->set(fpath, command_line());
  for (size_t k = 0; k < items.size(); ++k) {
    const std::string elem = join_path(fpath, "", static_cast<int>(k));
    store(m, f, kAdd, items[k], elem);
    locs->set(elem, command_line());
  }
}

void set_field(Message* m, const FieldDescriptor* f, const Segment& seg, std::string_view value,
               const std::string& path, LocationMap* locs) {
  const std::string fpath = join_path(path, f->name());
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    bad("{} is a message ({}), not a value; set one of its fields: {}", fpath, f->message_type()->name(),
        detail::field_names(f->message_type()));
  }
  if (!f->is_repeated()) {
    if (seg.selector) bad("{} is not a repeated field; remove \"[{}]\"", fpath, *seg.selector);
    store(m, f, -1, value, fpath);
    locs->erase_under(fpath);
    locs->set(fpath, command_line());
    return;
  }
  if (!seg.selector) return set_list(m, f, value, fpath, locs);
  if (!is_digits(*seg.selector)) bad("{} is a list of {}; select an element by index", fpath, detail::type_label(f));
  const int index = to_index(*seg.selector, m->GetReflection()->FieldSize(*m, f), fpath);
  const std::string elem = join_path(path, f->name(), index);
  store(m, f, index, value, elem);
  locs->set(elem, command_line());
}

void apply(Message* root, std::string_view assignment, LocationMap* locs) {
  const size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) bad("expected path=value");
  const std::vector<Segment> segs = parse_path(trim(assignment.substr(0, eq)));
  const std::string_view value = trim(assignment.substr(eq + 1));
  Message* m = root;
  std::string path;
  for (size_t i = 0; i + 1 < segs.size(); ++i) {
    m = step_into(m, field_of(*m, segs[i].name, path), segs[i], &path, locs);
  }
  set_field(m, field_of(*m, segs.back().name, path), segs.back(), value, path, locs);
}

}  // namespace

void apply_override(Message* msg, std::string_view assignment, LocationMap* where) {
  std::unique_ptr<Message> work(msg->New());
  work->CopyFrom(*msg);
  LocationMap locs = where ? *where : LocationMap();
  try {
    apply(work.get(), assignment, &locs);
  } catch (const Bad& b) {
    throw InputErrors(command_line(), fmt::format("override \"{}\": {}", trim(assignment), b.what));
  }
  msg->CopyFrom(*work);  // all or nothing
  if (where) *where = std::move(locs);
}

}  // namespace xpusim::io
