// Helpers shared by textproto.cc, textproto_merge.cc and textproto_override.cc.
// Not a public API: include textproto.h instead.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <string>
#include <string_view>
#include <vector>

namespace xpusim::io::detail {

// "Set" as the loaders mean it: a repeated field with elements, a field with explicit
// presence (message, proto3 `optional`, oneof member) that is present, or a proto3 scalar
// without `optional` that holds a non-default value.
bool is_set(const google::protobuf::Message& m, const google::protobuf::FieldDescriptor* f);

// The fields of `d` marked [(xpusim.proto.merge_key) = true], in declaration order.
std::vector<const google::protobuf::FieldDescriptor*> merge_keys(const google::protobuf::Descriptor* d);

// True when `a` and `b` (same type) hold equal values in every field of `keys`.
bool keys_equal(const google::protobuf::Message& a, const google::protobuf::Message& b,
                const std::vector<const google::protobuf::FieldDescriptor*>& keys);

// "arch, core_clock_mhz, num_sms" — for "valid fields: ..." hints.
std::string field_names(const google::protobuf::Descriptor* d);
// "LRR, GTO, CGGTY" — for "valid values: ..." hints.
std::string enum_names(const google::protobuf::EnumDescriptor* e);
// "uint32", "double", "enum SchedulerPolicy", "message SmSpec".
std::string type_label(const google::protobuf::FieldDescriptor* f);

// True when `key` is `prefix` itself or a path below it ("a.b" is under "a", "a[1]" is
// under "a", "ab" is not). Every key is under the empty prefix.
bool path_under(std::string_view key, std::string_view prefix);

}  // namespace xpusim::io::detail
