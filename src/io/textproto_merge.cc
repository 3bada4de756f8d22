// `base:` inheritance: merge_over() and load_with_base() (see textproto.h).
#include <filesystem>
#include <memory>

#include "src/io/textproto.h"
#include "src/io/textproto_internal.h"

namespace xpusim::io {

namespace pb = google::protobuf;
namespace fs = std::filesystem;
using pb::FieldDescriptor;
using pb::Message;
using pb::Reflection;

namespace {

// The locations of the two messages being merged; null when merging without locations.
struct Locs {
  LocationMap* base;
  const LocationMap* child;
};

// The child's entries under `from` replace the base's entries under `to`.
void replace_locs(const Locs* l, const std::string& from, const std::string& to) {
  if (!l) return;
  l->base->erase_under(to);
  const auto& entries = l->child->entries();
  for (auto it = entries.lower_bound(from); it != entries.end() && it->first.starts_with(from); ++it) {
    if (detail::path_under(it->first, from)) l->base->set(to + it->first.substr(from.size()), it->second);
  }
}

// The child's own entry for `from` (if it has one) becomes the base's entry for `to`.
void take_loc(const Locs* l, const std::string& from, const std::string& to) {
  if (!l) return;
  const auto it = l->child->entries().find(from);
  if (it != l->child->entries().end()) l->base->set(to, it->second);
}

// Setting `f` replaces whichever other member of its oneof the base had set.
void drop_other_member(const Message& base, const FieldDescriptor* f, const std::string& path, const Locs* l) {
  const pb::OneofDescriptor* oneof = f->real_containing_oneof();
  if (!oneof || !l) return;
  const FieldDescriptor* current = base.GetReflection()->GetOneofFieldDescriptor(base, oneof);
  if (current && current != f) l->base->erase_under(join_path(path, current->name()));
}

void merge_message(Message* base, const Message& child, const std::string& bpath, const std::string& cpath,
                   const Locs* l);

int find_by_key(const Message& base, const FieldDescriptor* f, const std::vector<const FieldDescriptor*>& keys,
                const Message& elem) {
  const Reflection* r = base.GetReflection();
  for (int i = 0; i < r->FieldSize(base, f); ++i) {
    if (detail::keys_equal(r->GetRepeatedMessage(base, f, i), elem, keys)) return i;
  }
  return -1;
}

// Child elements merge over base elements with equal keys; others are appended in order.
void merge_keyed(Message* base, const Message& child, const FieldDescriptor* f, const std::string& bpath,
                 const std::string& cpath, const Locs* l) {
  const std::vector<const FieldDescriptor*> keys = detail::merge_keys(f->message_type());
  const Reflection* rb = base->GetReflection();
  const Reflection* rc = child.GetReflection();
  for (int ci = 0; ci < rc->FieldSize(child, f); ++ci) {
    const Message& elem = rc->GetRepeatedMessage(child, f, ci);
    const std::string celem = join_path(cpath, "", ci);
    int bi = find_by_key(*base, f, keys, elem);
    if (bi < 0) {
      bi = rb->FieldSize(*base, f);
      rb->AddMessage(base, f)->CopyFrom(elem);
      replace_locs(l, celem, join_path(bpath, "", bi));
      continue;
    }
    const std::string belem = join_path(bpath, "", bi);
    merge_message(rb->MutableRepeatedMessage(base, f, bi), elem, belem, celem, l);
    take_loc(l, celem, belem);
  }
  take_loc(l, cpath, bpath);
}

void merge_message(Message* base, const Message& child, const std::string& bpath, const std::string& cpath,
                   const Locs* l) {
  const pb::Descriptor* d = child.GetDescriptor();
  std::vector<const FieldDescriptor*> replaced;  // scalars and lists taken whole from the child
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (!detail::is_set(child, f)) continue;
    const std::string bf = join_path(bpath, f->name());
    const std::string cf = join_path(cpath, f->name());
    drop_other_member(*base, f, bpath, l);
    if (f->is_repeated() && f->message_type() && !f->is_map() && !detail::merge_keys(f->message_type()).empty()) {
      merge_keyed(base, child, f, bf, cf, l);
    } else if (!f->is_repeated() && f->message_type()) {
      merge_message(base->GetReflection()->MutableMessage(base, f), child.GetReflection()->GetMessage(child, f), bf,
                    cf, l);
      take_loc(l, cf, bf);
    } else {
      replaced.push_back(f);
      replace_locs(l, cf, bf);
    }
  }
  if (replaced.empty()) return;
  std::unique_ptr<Message> copy(child.New());
  copy->CopyFrom(child);
  base->GetReflection()->SwapFields(base, copy.get(), replaced);
}

// ---- load_with_base ---------------------------------------------------------------------

// The files being loaded, outermost first: as shown in messages and as compared.
struct Chain {
  std::vector<std::string> shown;
  std::vector<fs::path> canonical;
};

fs::path canonical_path(const std::string& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  if (!ec) return c;
  c = fs::absolute(p, ec);
  return ec ? fs::path(p) : c.lexically_normal();
}

const FieldDescriptor* base_field(const pb::Descriptor* d) {
  const FieldDescriptor* f = d->FindFieldByName("base");
  return f && !f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_STRING ? f : nullptr;
}

std::string resolve_base(const std::string& child, const std::string& base) {
  const fs::path b(base);
  if (b.is_absolute()) return b.lexically_normal().string();
  return (fs::path(child).parent_path() / b).lexically_normal().string();
}

void check_base(const std::string& written, const std::string& resolved, const SourceLoc& at, const Chain& chain) {
  const fs::path target = canonical_path(resolved);
  for (const fs::path& seen : chain.canonical) {
    if (seen != target) continue;
    std::string cycle;
    for (const std::string& s : chain.shown) cycle += s + " -> ";
    throw InputErrors(at, "base cycle: " + cycle + resolved);
  }
  std::error_code ec;
  if (!fs::is_regular_file(resolved, ec)) {
    throw InputErrors(at, fmt::format("base \"{}\" not found (looked for {})", written, resolved));
  }
}

void load_chain(const std::string& path, Message* out, LocationMap* where, Chain* chain) {
  parse_text_file(path, out, where);
  const FieldDescriptor* bf = base_field(out->GetDescriptor());
  if (!bf || !detail::is_set(*out, bf)) return;
  const std::string written = out->GetReflection()->GetString(*out, bf);
  const std::string resolved = resolve_base(path, written);
  chain->shown.push_back(path);
  chain->canonical.push_back(canonical_path(path));
  check_base(written, resolved, where->find("base"), *chain);
  std::unique_ptr<Message> merged(out->New());
  LocationMap merged_locs;
  load_chain(resolved, merged.get(), &merged_locs, chain);
  chain->shown.pop_back();
  chain->canonical.pop_back();
  merge_over(merged.get(), *out, &merged_locs, *where);
  out->CopyFrom(*merged);
  merged_locs.set_root(where->root());
  *where = std::move(merged_locs);
}

}  // namespace

void merge_over(Message* base, const Message& child) {
  SIM_CHECK(base->GetDescriptor() == child.GetDescriptor(), "merge_over: {} over {}", child.GetTypeName(),
            base->GetTypeName());
  merge_message(base, child, "", "", nullptr);
}

void merge_over(Message* base, const Message& child, LocationMap* base_locs, const LocationMap& child_locs) {
  SIM_CHECK(base->GetDescriptor() == child.GetDescriptor(), "merge_over: {} over {}", child.GetTypeName(),
            base->GetTypeName());
  const Locs locs{base_locs, &child_locs};
  merge_message(base, child, "", "", &locs);
}

void load_with_base(const std::string& path, Message* out, LocationMap* where) {
  LocationMap locs;
  Chain chain;
  load_chain(path, out, &locs, &chain);
  if (const FieldDescriptor* bf = base_field(out->GetDescriptor())) out->GetReflection()->ClearField(out, bf);
  locs.erase_under("base");
  if (where) *where = std::move(locs);
}

}  // namespace xpusim::io
