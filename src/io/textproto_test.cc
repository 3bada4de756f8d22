// Tests for src/io/textproto.h: parsing with locations, error reports, base: inheritance,
// merging and --set overrides.
#include "src/io/textproto.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config.pb.h"
#include "workload.pb.h"

namespace {

namespace fs = std::filesystem;
namespace io = xpusim::io;
namespace proto = xpusim::proto;
using xpusim::InputErrors;

// A fresh directory under the system temp directory, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    dir_ = fs::temp_directory_path() / fmt::format("xpusim_textproto_test_{}_{}", ::getpid(), counter++);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

// The text of every InputError that f throws, or {"<no error>"}.
template <typename F>
std::vector<std::string> errors_of(F&& f) {
  try {
    f();
  } catch (const InputErrors& e) {
    std::vector<std::string> out;
    for (const xpusim::InputError& x : e.errors()) out.push_back(x.str());
    return out;
  }
  return {"<no error>"};
}

template <typename M = proto::SystemConfig>
std::vector<std::string> parse_errors(const std::string& text) {
  M m;
  io::LocationMap locs;
  return errors_of([&] { io::parse_text(text, "cfg.textproto", &m, &locs); });
}

using Errors = std::vector<std::string>;

std::string at(const io::LocationMap& locs, std::string_view path) { return locs.find(path).str(); }

proto::SystemConfig parse_config(const std::string& text, io::LocationMap* locs) {
  proto::SystemConfig c;
  io::parse_text(text, "cfg.textproto", &c, locs);
  return c;
}

std::string override_error(google::protobuf::Message* m, const std::string& assignment) {
  io::LocationMap locs;
  const Errors e = errors_of([&] { io::apply_override(m, assignment, &locs); });
  REQUIRE(e.size() == 1);
  return e[0];
}

// SmSpec's field names in declaration order, as the override errors list them (read from the
// schema so that adding a field does not break these tests).
const std::string kSmFields = [] {
  std::string s;
  const auto* d = xpusim::proto::SmSpec::descriptor();
  for (int i = 0; i < d->field_count(); ++i) s += (i ? ", " : "") + std::string(d->field(i)->name());
  return s;
}();
const char* const kSchedulers = "SCHEDULER_UNSPECIFIED, LRR, GTO, CGGTY";

// ---- parsing and locations --------------------------------------------------------------

TEST_CASE("textproto: comments are ignored, '#' inside strings is kept", "[textproto]") {
  io::LocationMap locs;
  const proto::SystemConfig c = parse_config(
      "# a whole-line comment\n"
      "name: \"toy\"  # a trailing comment\n"
      "description: \"see #3\"\n"
      "gpu {\n"
      "  # num_sms: 99  (commented out)\n"
      "  num_sms: 2 # two\n"
      "}\n",
      &locs);
  REQUIRE(c.name() == "toy");
  REQUIRE(c.description() == "see #3");
  REQUIRE(c.gpu().num_sms() == 2);
  REQUIRE(at(locs, "gpu.num_sms") == "cfg.textproto:6:3");
}

TEST_CASE("textproto: nested fields are located at their names", "[textproto]") {
  io::LocationMap locs;
  const proto::SystemConfig c = parse_config(
      "name: \"a\"\n"
      "gpu {\n"
      "  num_sms: 4\n"
      "  sm {\n"
      "    register_file { banks: 2 }\n"
      "  }\n"
      "}\n",
      &locs);
  REQUIRE(c.gpu().sm().register_file().banks() == 2);
  REQUIRE(at(locs, "name") == "cfg.textproto:1:1");
  REQUIRE(at(locs, "gpu") == "cfg.textproto:2:1");
  REQUIRE(at(locs, "gpu.num_sms") == "cfg.textproto:3:3");
  REQUIRE(at(locs, "gpu.sm") == "cfg.textproto:4:3");
  REQUIRE(at(locs, "gpu.sm.register_file") == "cfg.textproto:5:5");
  REQUIRE(at(locs, "gpu.sm.register_file.banks") == "cfg.textproto:5:21");
}

TEST_CASE("textproto: only set fields have locations, find falls back to ancestors and root", "[textproto]") {
  io::LocationMap locs;
  parse_config("gpu {\n  num_sms: 4\n}\n", &locs);
  REQUIRE(locs.has("gpu.num_sms"));
  REQUIRE_FALSE(locs.has("gpu.arch"));
  REQUIRE_FALSE(locs.has("sim"));
  REQUIRE(locs.entries().size() == 2);
  REQUIRE(at(locs, "gpu.arch") == "cfg.textproto:1:1");
  REQUIRE(at(locs, "sim.seed") == "cfg.textproto");
  REQUIRE(locs.root().file == "cfg.textproto");
  REQUIRE(locs.root().line == 0);
}

TEST_CASE("textproto: repeated message elements and their fields are located", "[textproto]") {
  io::LocationMap locs;
  const proto::SystemConfig c = parse_config(
      "gpu {\n"
      "  sm {\n"
      "    unit { kind: FP32 lanes: 16 }\n"
      "    unit {\n"
      "      kind: INT\n"
      "      lanes: 8\n"
      "    }\n"
      "  }\n"
      "}\n",
      &locs);
  REQUIRE(c.gpu().sm().unit_size() == 2);
  REQUIRE(at(locs, "gpu.sm.unit") == "cfg.textproto:3:5");
  REQUIRE(at(locs, "gpu.sm.unit[0]") == "cfg.textproto:3:5");
  REQUIRE(at(locs, "gpu.sm.unit[0].lanes") == "cfg.textproto:3:23");
  REQUIRE(at(locs, "gpu.sm.unit[1]") == "cfg.textproto:4:5");
  REQUIRE(at(locs, "gpu.sm.unit[1].kind") == "cfg.textproto:5:7");
  REQUIRE(at(locs, "gpu.sm.unit[1].lanes") == "cfg.textproto:6:7");
  REQUIRE(at(locs, "gpu.sm.unit[1].latency_cycles") == "cfg.textproto:4:5");
}

TEST_CASE("textproto: each element of a list value has its own location", "[textproto]") {
  proto::Workload w;
  io::LocationMap locs;
  io::parse_text(
      "buffer { name: \"A\" shape: [64,\n"
      "  128] }\n"
      "buffer: [{ name: \"B\" }, { name: \"C\" }]\n",
      "wl.textproto", &w, &locs);
  REQUIRE(w.buffer_size() == 3);
  REQUIRE(w.buffer(0).shape_size() == 2);
  REQUIRE(w.buffer(2).name() == "C");
  REQUIRE(at(locs, "buffer[0].shape") == "wl.textproto:1:20");
  REQUIRE(at(locs, "buffer[0].shape[0]") == "wl.textproto:1:28");
  REQUIRE(at(locs, "buffer[0].shape[1]") == "wl.textproto:2:3");
  REQUIRE(at(locs, "buffer[1]") == "wl.textproto:3:10");
  REQUIRE(at(locs, "buffer[2]") == "wl.textproto:3:25");
  REQUIRE(at(locs, "buffer[2].name") == "wl.textproto:3:27");
}

TEST_CASE("textproto: LocationMap::find walks up to the nearest located ancestor", "[textproto]") {
  io::LocationMap m;
  m.set_root({"root.textproto", 0, 0});
  m.set("a", {"f", 1, 1});
  m.set("a.b[2]", {"f", 3, 5});
  REQUIRE(m.find("a.b[2].c.d").str() == "f:3:5");
  REQUIRE(m.find("a.b[2]").str() == "f:3:5");
  REQUIRE(m.find("a.b[1].c").str() == "f:1:1");
  REQUIRE(m.find("z.y").str() == "root.textproto");
  REQUIRE(m.find("").str() == "root.textproto");
}

TEST_CASE("textproto: LocationMap::erase_under and move_under respect path boundaries", "[textproto]") {
  io::LocationMap m;
  for (const char* k : {"u", "u[0]", "u[0].k", "u[1]", "u[1].k", "u[10]", "unit", "u[3].old"}) m.set(k, {k, 1, 1});
  m.move_under("u[1]", "u[3]");
  REQUIRE_FALSE(m.has("u[1]"));
  REQUIRE_FALSE(m.has("u[1].k"));
  REQUIRE(m.find("u[3].k").file == "u[1].k");
  REQUIRE(m.find("u[3]").file == "u[1]");
  REQUIRE_FALSE(m.has("u[3].old"));  // the destination's old entries are replaced
  REQUIRE(m.has("u[10]"));
  m.erase_under("u[0]");
  REQUIRE_FALSE(m.has("u[0]"));
  REQUIRE_FALSE(m.has("u[0].k"));
  REQUIRE(m.has("u"));
  m.erase_under("u");
  REQUIRE(m.entries().size() == 1);
  REQUIRE(m.has("unit"));
}

TEST_CASE("textproto: join_path", "[textproto]") {
  REQUIRE(io::join_path("gpu.sm", "unit", 2) == "gpu.sm.unit[2]");
  REQUIRE(io::join_path("gpu", "num_sms") == "gpu.num_sms");
  REQUIRE(io::join_path("", "name") == "name");
  REQUIRE(io::join_path("", "buffer", 0) == "buffer[0]");
}

// ---- parse errors -----------------------------------------------------------------------

TEST_CASE("textproto: a syntax error is reported at its token", "[textproto]") {
  REQUIRE(parse_errors("gpu {\n  num_sms 4\n}\n") == Errors{"cfg.textproto:2:11: expected \":\", found \"4\""});
}

TEST_CASE("textproto: columns are 1-based and a tab advances to the next multiple of 8", "[textproto]") {
  REQUIRE(parse_errors("gpu {\n\tnum_sms: x\n}\n") ==
          Errors{"cfg.textproto:2:18: field \"num_sms\" (uint32): expected integer, got: x"});
  REQUIRE(parse_errors("gpu {\nnum_sms: x\n}\n") ==
          Errors{"cfg.textproto:2:10: field \"num_sms\" (uint32): expected integer, got: x"});
}

TEST_CASE("textproto: an unclosed block names the opening brace", "[textproto]") {
  REQUIRE(parse_errors("gpu {\n  sm {\n    subcores: 4\n  }\n") ==
          Errors{"cfg.textproto:5:1: unexpected end of file: \"{\" opened at 1:5 is not closed"});
}

TEST_CASE("textproto: an unknown field lists the valid field names", "[textproto]") {
  REQUIRE(parse_errors("gpu {\n  num_sm: 4\n}\n") ==
          Errors{"cfg.textproto:2:3: unknown field \"num_sm\" in GpuSpec; valid fields: arch, core_clock_mhz, "
                 "num_sms, kernel_launch_cycles, sm, l1, l2, dram, ideal_memory, memory_model, noc"});
  REQUIRE(parse_errors("sim {\n  bogus { a: 1 b: [1, 2] }\n}\n") ==
          Errors{"cfg.textproto:2:3: unknown field \"bogus\" in SimSpec; valid fields: seed, max_cycles, "
                 "watchdog_cycles, functional"});
}

TEST_CASE("textproto: an unknown enum name lists the valid values", "[textproto]") {
  REQUIRE(parse_errors("gpu { sm { scheduler: GTOO } }") ==
          Errors{std::string("cfg.textproto:1:23: field \"scheduler\" (enum SchedulerPolicy): unknown value \"GTOO\"; "
                             "valid values: ") + kSchedulers});
}

TEST_CASE("textproto: an enum number without a name is an error, a named number is fine", "[textproto]") {
  REQUIRE(parse_errors("gpu { sm { scheduler: 7 } }") ==
          Errors{std::string("cfg.textproto:1:23: field \"scheduler\" (enum SchedulerPolicy): unknown value 7; "
                             "valid values: ") + kSchedulers});
  io::LocationMap locs;
  REQUIRE(parse_config("gpu { sm { scheduler: 2 } }", &locs).gpu().sm().scheduler() == proto::GTO);
}

TEST_CASE("textproto: an out-of-range integer is reported at its value", "[textproto]") {
  REQUIRE(parse_errors("gpu {\n  num_sms: 4294967296\n}\n") ==
          Errors{"cfg.textproto:2:12: field \"num_sms\" (uint32): integer out of range (4294967296)"});
  REQUIRE(parse_errors("gpu {\n  num_sms: 4294967295\n}\n") == Errors{"<no error>"});
  REQUIRE(parse_errors("sim { seed: -1 }") ==
          Errors{"cfg.textproto:1:13: field \"seed\" (uint64): negative value for an unsigned field"});
}

TEST_CASE("textproto: a float that overflows to infinity is out of range", "[textproto]") {
  REQUIRE(parse_errors<proto::Workload>("check { rtol: 1e999 }") ==
          Errors{"cfg.textproto:1:15: field \"rtol\" (double): value 1e999 is out of range"});
  REQUIRE(parse_errors<proto::Workload>("launch { arg { f32: -3.5e38 } }") ==
          Errors{"cfg.textproto:1:21: field \"f32\" (float): value -3.5e38 is out of range"});
  REQUIRE(parse_errors<proto::Workload>("launch { arg { f32: 3.4e38 } }\ncheck { atol: inf }") == Errors{"<no error>"});
}

TEST_CASE("textproto: a value of the wrong type names the field and its type", "[textproto]") {
  REQUIRE(parse_errors("gpu { num_sms: \"four\" }") ==
          Errors{"cfg.textproto:1:16: field \"num_sms\" (uint32): expected integer, got: \"four\""});
  REQUIRE(parse_errors("gpu { sm: 3 }") ==
          Errors{"cfg.textproto:1:11: field \"sm\" (message SmSpec): expected \"{\", found \"3\""});
  REQUIRE(parse_errors("name: 5") == Errors{"cfg.textproto:1:7: field \"name\" (string): expected string, got: 5"});
  REQUIRE(parse_errors("sim {\n  functional: yes\n}") ==
          Errors{"cfg.textproto:2:15: field \"functional\" (bool): invalid value \"yes\"; expected true or false"});
}

TEST_CASE("textproto: a non-repeated field given twice is an error", "[textproto]") {
  REQUIRE(parse_errors("gpu {\n  num_sms: 1\n  num_sms: 2\n}\n") ==
          Errors{"cfg.textproto:3:3: field \"num_sms\" is given more than once (it is not repeated)"});
  REQUIRE(parse_errors("sim { seed: 1 }\nsim { seed: 2 }\n") ==
          Errors{"cfg.textproto:2:1: field \"sim\" is given more than once (it is not repeated)"});
  REQUIRE(parse_errors("gpu { sm { unit { kind: INT } unit { kind: FP32 } } }") == Errors{"<no error>"});
}

TEST_CASE("textproto: two members of a oneof is an error", "[textproto]") {
  REQUIRE(parse_errors<proto::Workload>("buffer { init { zeros {} normal {} } }") ==
          Errors{"cfg.textproto:1:26: field \"normal\" is specified along with field \"zeros\", another member of "
                 "oneof \"kind\""});
}

TEST_CASE("textproto: every error of a file is reported in one throw, in file order", "[textproto]") {
  const Errors e = parse_errors(
      "name: \"multi\"\n"
      "gpu {\n"
      "  num_sms: x\n"
      "  foo: 1\n"
      "  sm { scheduler: NOPE }\n"
      "  num_sms: 3\n"
      "}\n"
      "sim { functional: yes  seed: 1 }\n"
      "bar: 2\n");
  REQUIRE(e == Errors{
                   "cfg.textproto:3:12: field \"num_sms\" (uint32): expected integer, got: x",
                   "cfg.textproto:4:3: unknown field \"foo\" in GpuSpec; valid fields: arch, core_clock_mhz, num_sms, "
                   "kernel_launch_cycles, sm, l1, l2, dram, ideal_memory, memory_model, noc",
                   std::string("cfg.textproto:5:19: field \"scheduler\" (enum SchedulerPolicy): unknown value "
                               "\"NOPE\"; valid values: ") + kSchedulers,
                   "cfg.textproto:8:19: field \"functional\" (bool): invalid value \"yes\"; expected true or false",
                   "cfg.textproto:9:1: unknown field \"bar\" in SystemConfig; valid fields: base, name, description, "
                   "gpu, sim, energy",
               });
}

TEST_CASE("textproto: a file with very many errors stops after 50, saying so", "[textproto]") {
  std::string text = "gpu { sm {\n";
  for (int i = 0; i < 60; ++i) text += "  unit { lanes: x }\n";
  const Errors e = parse_errors(text + "} }\n");
  REQUIRE(e.size() == 51);
  REQUIRE(e[0] == "cfg.textproto:2:17: field \"lanes\" (uint32): expected integer, got: x");
  REQUIRE(e[49] == "cfg.textproto:51:17: field \"lanes\" (uint32): expected integer, got: x");
  REQUIRE(e[50] == "cfg.textproto: too many errors; stopped after 50");
}

TEST_CASE("textproto: parsing goes on after a syntax error inside a block", "[textproto]") {
  REQUIRE(parse_errors("gpu { num_sms 4 }\nsim { seed: x }\n") ==
          Errors{"cfg.textproto:1:15: expected \":\", found \"4\"",
                 "cfg.textproto:2:13: field \"seed\" (uint64): expected integer, got: x"});
}

TEST_CASE("textproto: a missing or unreadable file is an InputError", "[textproto]") {
  TempDir dir;
  proto::SystemConfig c;
  c.set_name("stale");
  io::LocationMap locs;
  const std::string missing = dir.path("nope.textproto");
  REQUIRE(errors_of([&] { io::parse_text_file(missing, &c, &locs); }) == Errors{missing + ": file not found"});
  REQUIRE(c.name().empty());  // cleared first
  const std::string sub = dir.path("sub");
  fs::create_directories(sub);
  REQUIRE(errors_of([&] { io::parse_text_file(sub, &c, &locs); }) == Errors{sub + ": is a directory, not a file"});
}

TEST_CASE("textproto: parse_text_file locates fields in that file", "[textproto]") {
  TempDir dir;
  const std::string path = dir.write("a.textproto", "name: \"a\"\ngpu {\n  num_sms: 8\n}\n");
  proto::SystemConfig c;
  io::LocationMap locs;
  io::parse_text_file(path, &c, &locs);
  REQUIRE(c.gpu().num_sms() == 8);
  REQUIRE(at(locs, "gpu.num_sms") == path + ":3:3");
  REQUIRE(locs.root().file == path);
  const std::string empty = dir.write("empty.textproto", "");
  io::parse_text_file(empty, &c, &locs);
  REQUIRE(c.ByteSizeLong() == 0);
  REQUIRE(locs.entries().empty());
  REQUIRE(locs.root().file == empty);
  const std::string bad = dir.write("bad.textproto", "\n\ngpu { num_sms: -2 }\n");
  REQUIRE(errors_of([&] { io::parse_text_file(bad, &c, &locs); }) ==
          Errors{bad + ":3:16: field \"num_sms\" (uint32): negative value for an unsigned field"});
}

// ---- base: inheritance ------------------------------------------------------------------

TEST_CASE("textproto: base inheritance two levels deep", "[textproto]") {
  TempDir dir;
  dir.write("grand.textproto",
            "name: \"grand\"\n"
            "description: \"the grandparent\"\n"
            "gpu {\n"
            "  arch: \"sm_80\"\n"
            "  num_sms: 108\n"
            "  core_clock_mhz: 1410\n"
            "  kernel_launch_cycles: 100\n"
            "  sm { subcores: 4 max_warps: 64 register_file { banks: 2 read_ports_per_bank: 1 } }\n"
            "}\n"
            "sim { seed: 7 functional: true }\n");
  dir.write("parent.textproto",
            "base: \"grand.textproto\"\n"
            "name: \"parent\"\n"
            "gpu { num_sms: 132 sm { max_warps: 48 register_file { banks: 4 } } }\n");
  const std::string child = dir.write("child.textproto",
                                      "base: \"parent.textproto\"\n"
                                      "name: \"child\"\n"
                                      "gpu { core_clock_mhz: 1755 kernel_launch_cycles: 0 }\n"
                                      "sim { functional: false }\n");
  proto::SystemConfig c;
  io::LocationMap locs;
  io::load_with_base(child, &c, &locs);
  REQUIRE(c.name() == "child");
  REQUIRE(c.description() == "the grandparent");
  REQUIRE(c.base().empty());
  REQUIRE(c.gpu().arch() == "sm_80");
  REQUIRE(c.gpu().num_sms() == 132);
  REQUIRE(c.gpu().core_clock_mhz() == 1755);
  REQUIRE(c.gpu().has_kernel_launch_cycles());
  REQUIRE(c.gpu().kernel_launch_cycles() == 0);  // an explicit zero wins
  REQUIRE(c.gpu().sm().subcores() == 4);
  REQUIRE(c.gpu().sm().max_warps() == 48);
  REQUIRE(c.gpu().sm().register_file().banks() == 4);
  REQUIRE(c.gpu().sm().register_file().read_ports_per_bank() == 1);
  REQUIRE(c.sim().seed() == 7);
  REQUIRE(c.sim().has_functional());
  REQUIRE_FALSE(c.sim().functional());
}

TEST_CASE("textproto: SmSpec.unit merges by kind, new kinds are appended in order", "[textproto]") {
  TempDir dir;
  dir.write("base.textproto",
            "gpu { sm {\n"
            "  unit { kind: FP32 lanes: 16 latency_cycles: 4 }\n"
            "  unit { kind: INT lanes: 16 latency_cycles: 4 }\n"
            "  unit { kind: SFU lanes: 4 }\n"
            "} }\n");
  const std::string child = dir.write("child.textproto",
                                      "base: \"base.textproto\"\n"
                                      "gpu { sm {\n"
                                      "  unit { kind: INT latency_cycles: 6 }\n"
                                      "  unit { kind: TENSOR lanes: 1 }\n"
                                      "  unit { kind: FP32 lanes: 32 }\n"
                                      "} }\n");
  proto::SystemConfig c;
  io::load_with_base(child, &c, nullptr);
  const auto& u = c.gpu().sm().unit();
  REQUIRE(u.size() == 4);
  REQUIRE(u[0].kind() == proto::UnitSpec::FP32);
  REQUIRE(u[0].lanes() == 32);
  REQUIRE(u[0].latency_cycles() == 4);
  REQUIRE(u[1].kind() == proto::UnitSpec::INT);
  REQUIRE(u[1].lanes() == 16);
  REQUIRE(u[1].latency_cycles() == 6);
  REQUIRE(u[2].kind() == proto::UnitSpec::SFU);
  REQUIRE(u[3].kind() == proto::UnitSpec::TENSOR);
  REQUIRE(u[3].lanes() == 1);
  REQUIRE_FALSE(u[3].has_latency_cycles());
}

TEST_CASE("textproto: TensorSpec merges only when shape and dtype both match", "[textproto]") {
  TempDir dir;
  dir.write("base.textproto",
            "gpu { sm {\n"
            "  tensor { shape: \"m16n8k16\" dtype: FP16 latency_cycles: 16 interval_cycles: 8 }\n"
            "  tensor { shape: \"m16n8k16\" dtype: BF16 latency_cycles: 16 interval_cycles: 8 }\n"
            "} }\n");
  const std::string child = dir.write("child.textproto",
                                      "base: \"base.textproto\"\n"
                                      "gpu { sm {\n"
                                      "  tensor { shape: \"m16n8k16\" dtype: BF16 latency_cycles: 20 }\n"
                                      "  tensor { shape: \"m16n8k32\" dtype: FP16 latency_cycles: 32 }\n"
                                      "  tensor { shape: \"m16n8k16\" dtype: FP8_E4M3 latency_cycles: 12 }\n"
                                      "} }\n");
  proto::SystemConfig c;
  io::load_with_base(child, &c, nullptr);
  const auto& t = c.gpu().sm().tensor();
  REQUIRE(t.size() == 4);
  REQUIRE((t[0].dtype() == proto::FP16 && t[0].latency_cycles() == 16 && t[0].interval_cycles() == 8));
  REQUIRE((t[1].dtype() == proto::BF16 && t[1].latency_cycles() == 20 && t[1].interval_cycles() == 8));
  REQUIRE((t[2].shape() == "m16n8k32" && t[2].dtype() == proto::FP16 && t[2].latency_cycles() == 32));
  REQUIRE((t[3].shape() == "m16n8k16" && t[3].dtype() == proto::FP8_E4M3 && !t[3].has_interval_cycles()));
}

// Workload has no `base` field, so its merge rules are exercised through merge_over.
TEST_CASE("textproto: Workload.buffer merges by name, other lists are replaced whole", "[textproto]") {
  proto::Workload w;
  proto::Workload child;
  io::parse_text(
      "name: \"base_wl\"\n"
      "buffer { name: \"A\" dtype: FP16 shape: [1024, 1024] init { normal { std: 1 } } }\n"
      "buffer { name: \"B\" dtype: FP16 shape: [1024, 1024] }\n"
      "launch { kernel: \"k1.xasm\" grid { x: 8 } }\n"
      "launch { kernel: \"k2.xasm\" }\n",
      "base.textproto", &w, nullptr);
  io::parse_text(
      "buffer { name: \"B\" shape: [64] layout: COL_MAJOR }\n"
      "buffer { name: \"C\" dtype: FP32 shape: [64, 64] }\n"
      "buffer { name: \"A\" init { zeros {} } }\n"
      "launch { kernel: \"small.xasm\" }\n",
      "child.textproto", &child, nullptr);
  io::merge_over(&w, child);
  REQUIRE(w.name() == "base_wl");
  REQUIRE(w.buffer_size() == 3);
  const proto::Buffer& a = w.buffer(0);
  REQUIRE(a.name() == "A");
  REQUIRE(std::vector<uint64_t>(a.shape().begin(), a.shape().end()) == std::vector<uint64_t>{1024, 1024});
  REQUIRE(a.init().has_zeros());
  REQUIRE_FALSE(a.init().has_normal());
  const proto::Buffer& b = w.buffer(1);
  REQUIRE(std::vector<uint64_t>(b.shape().begin(), b.shape().end()) == std::vector<uint64_t>{64});
  REQUIRE(b.dtype() == proto::FP16);
  REQUIRE(b.layout() == proto::COL_MAJOR);
  REQUIRE((w.buffer(2).name() == "C" && w.buffer(2).dtype() == proto::FP32));
  REQUIRE(w.launch_size() == 1);
  REQUIRE(w.launch(0).kernel() == "small.xasm");
  REQUIRE_FALSE(w.launch(0).has_grid());
}

TEST_CASE("textproto: merge_over works on any message type without files", "[textproto]") {
  proto::Workload base;
  proto::Workload child;
  base.set_name("keep");
  base.set_description("old");
  auto* b = base.add_buffer();
  b->set_name("A");
  b->add_shape(2);
  b->add_shape(3);
  b->mutable_init()->mutable_normal()->set_std(2);
  child.set_description("new");  // child.name() is "", which is "not set"
  auto* c = child.add_buffer();
  c->set_name("A");
  c->mutable_init()->mutable_zeros();
  io::merge_over(&base, child);
  REQUIRE(base.name() == "keep");
  REQUIRE(base.description() == "new");
  REQUIRE(base.buffer_size() == 1);
  REQUIRE(base.buffer(0).shape_size() == 2);
  REQUIRE(base.buffer(0).init().has_zeros());
  REQUIRE_FALSE(base.buffer(0).init().has_normal());
}

TEST_CASE("textproto: a base cycle is an error naming the chain", "[textproto]") {
  TempDir dir;
  const std::string a = dir.write("a.textproto", "base: \"b.textproto\"\nname: \"a\"\n");
  const std::string b = dir.write("b.textproto", "name: \"b\"\nbase: \"a.textproto\"\n");
  proto::SystemConfig c;
  REQUIRE(errors_of([&] { io::load_with_base(a, &c, nullptr); }) ==
          Errors{b + ":2:1: base cycle: " + a + " -> " + b + " -> " + a});
  const std::string self = dir.write("self.textproto", "name: \"s\"  base: \"./self.textproto\"\n");
  REQUIRE(errors_of([&] { io::load_with_base(self, &c, nullptr); }) ==
          Errors{self + ":1:12: base cycle: " + self + " -> " + self});
}

TEST_CASE("textproto: base paths are relative to the file naming them", "[textproto]") {
  TempDir dir;
  dir.write("configs/common/root.textproto", "description: \"from root\"\ngpu { num_sms: 1 }\n");
  dir.write("configs/common/mid.textproto", "base: \"root.textproto\"\ngpu { num_sms: 2 arch: \"sm_90\" }\n");
  const std::string child =
      dir.write("configs/gpu/child.textproto", "base: \"../common/mid.textproto\"\nname: \"child\"\n");
  proto::SystemConfig c;
  io::LocationMap locs;
  io::load_with_base(child, &c, &locs);
  REQUIRE(c.description() == "from root");
  REQUIRE(c.gpu().num_sms() == 2);
  REQUIRE(c.gpu().arch() == "sm_90");
  REQUIRE(at(locs, "description") == dir.path("configs/common/root.textproto") + ":1:1");
  const std::string orphan = dir.write("configs/gpu/orphan.textproto", "\nbase: \"missing.textproto\"\n");
  REQUIRE(errors_of([&] { io::load_with_base(orphan, &c, nullptr); }) ==
          Errors{orphan + ":2:1: base \"missing.textproto\" not found (looked for " +
                 dir.path("configs/gpu/missing.textproto") + ")"});
}

TEST_CASE("textproto: errors in a base file name the base file", "[textproto]") {
  TempDir dir;
  const std::string base = dir.write("base.textproto", "gpu { num_sms: -3 }\n");
  const std::string child = dir.write("child.textproto", "base: \"base.textproto\"\n");
  proto::SystemConfig c;
  REQUIRE(errors_of([&] { io::load_with_base(child, &c, nullptr); }) ==
          Errors{base + ":1:16: field \"num_sms\" (uint32): negative value for an unsigned field"});
}

TEST_CASE("textproto: locations after merging point to the file that set each field", "[textproto]") {
  TempDir dir;
  const std::string base = dir.write("base.textproto",
                                     "name: \"base\"\n"
                                     "gpu {\n"
                                     "  num_sms: 108\n"
                                     "  core_clock_mhz: 1410\n"
                                     "  sm {\n"
                                     "    unit { kind: FP32 lanes: 16 }\n"
                                     "    unit { kind: INT lanes: 16 }\n"
                                     "  }\n"
                                     "}\n");
  const std::string child = dir.write("child.textproto",
                                      "base: \"base.textproto\"\n"
                                      "gpu {\n"
                                      "  num_sms: 132\n"
                                      "  sm {\n"
                                      "    unit { kind: INT latency_cycles: 6 }\n"
                                      "    unit { kind: SFU lanes: 4 }\n"
                                      "  }\n"
                                      "}\n");
  proto::SystemConfig c;
  io::LocationMap locs;
  io::load_with_base(child, &c, &locs);
  REQUIRE(at(locs, "gpu.num_sms") == child + ":3:3");
  REQUIRE(at(locs, "gpu.core_clock_mhz") == base + ":4:3");
  REQUIRE(at(locs, "name") == base + ":1:1");
  REQUIRE(at(locs, "gpu.sm.unit[0].lanes") == base + ":6:23");
  REQUIRE(at(locs, "gpu.sm.unit[1]") == child + ":5:5");
  REQUIRE(at(locs, "gpu.sm.unit[1].latency_cycles") == child + ":5:22");
  REQUIRE(at(locs, "gpu.sm.unit[1].lanes") == base + ":7:22");
  REQUIRE(c.gpu().sm().unit(2).kind() == proto::UnitSpec::SFU);
  REQUIRE(at(locs, "gpu.sm.unit[2]") == child + ":6:5");
  REQUIRE(at(locs, "gpu.sm.unit[2].lanes") == child + ":6:22");
  REQUIRE_FALSE(locs.has("gpu.sm.unit[3]"));
  REQUIRE_FALSE(locs.has("base"));
  REQUIRE(locs.root().file == child);
}

TEST_CASE("textproto: replaced lists and switched oneofs drop the base's locations", "[textproto]") {
  proto::Workload w;
  proto::Workload child;
  io::LocationMap locs;
  io::LocationMap child_locs;
  io::parse_text("buffer { name: \"A\" shape: [1, 2, 3] init { normal { std: 1 } } }\n", "base.textproto", &w, &locs);
  io::parse_text("\nbuffer { name: \"A\" shape: [7] init { zeros {} } }\nbuffer { name: \"B\" }\n", "child.textproto",
                 &child, &child_locs);
  io::merge_over(&w, child, &locs, child_locs);
  REQUIRE(w.buffer(0).shape_size() == 1);
  REQUIRE(at(locs, "buffer[0].shape[0]") == "child.textproto:2:28");
  REQUIRE_FALSE(locs.has("buffer[0].shape[1]"));
  REQUIRE_FALSE(locs.has("buffer[0].init.normal"));
  REQUIRE_FALSE(locs.has("buffer[0].init.normal.std"));
  REQUIRE(at(locs, "buffer[0].init.zeros") == "child.textproto:2:38");
  REQUIRE(at(locs, "buffer[0].name") == "child.textproto:2:10");  // the key, written again by the child
  REQUIRE(at(locs, "buffer[1]") == "child.textproto:3:1");
  REQUIRE(at(locs, "buffer[1].name") == "child.textproto:3:10");
}

// ---- overrides --------------------------------------------------------------------------

TEST_CASE("textproto: overrides set scalars of every kind and record the command line", "[textproto]") {
  io::LocationMap locs;
  proto::SystemConfig c = parse_config("gpu { num_sms: 108 sm { scheduler: LRR } }\n", &locs);
  io::apply_override(&c, "gpu.num_sms=8", &locs);
  io::apply_override(&c, " gpu.core_clock_mhz = 1.5e3 ", &locs);
  io::apply_override(&c, "sim.functional=false", &locs);
  io::apply_override(&c, "sim.seed=0x10", &locs);
  io::apply_override(&c, "gpu.sm.scheduler=GTO", &locs);
  io::apply_override(&c, "name=\"my gpu\"", &locs);
  io::apply_override(&c, "gpu.arch=sm_90", &locs);
  REQUIRE(c.gpu().num_sms() == 8);
  REQUIRE(c.gpu().core_clock_mhz() == 1500.0);
  REQUIRE(c.sim().has_functional());
  REQUIRE_FALSE(c.sim().functional());
  REQUIRE(c.sim().seed() == 16);
  REQUIRE(c.gpu().sm().scheduler() == proto::GTO);
  REQUIRE(c.name() == "my gpu");
  REQUIRE(c.gpu().arch() == "sm_90");
  REQUIRE(at(locs, "gpu.num_sms") == "<command line>");
  REQUIRE(at(locs, "sim") == "<command line>");  // created by the override
  REQUIRE(at(locs, "gpu") == "cfg.textproto:1:1");
}

TEST_CASE("textproto: overrides select repeated elements by key or index", "[textproto]") {
  io::LocationMap locs;
  proto::SystemConfig c = parse_config(
      "gpu { sm {\n"
      "  unit { kind: FP32 lanes: 16 }\n"
      "  unit { kind: INT lanes: 16 }\n"
      "  tensor { shape: \"m16n8k16\" dtype: FP16 latency_cycles: 16 }\n"
      "} }\n",
      &locs);
  io::apply_override(&c, "gpu.sm.unit[FP32].latency_cycles=4", &locs);
  io::apply_override(&c, "gpu.sm.unit[1].lanes=8", &locs);
  io::apply_override(&c, "gpu.sm.unit[TENSOR].lanes=2", &locs);
  io::apply_override(&c, "gpu.sm.tensor[m16n8k16,FP16].latency_cycles=20", &locs);
  io::apply_override(&c, "gpu.sm.tensor[\"m16n8k8\",FP16].latency_cycles=10", &locs);
  const auto& u = c.gpu().sm().unit();
  REQUIRE(u.size() == 3);
  REQUIRE(u[0].latency_cycles() == 4);
  REQUIRE(u[1].lanes() == 8);
  REQUIRE((u[2].kind() == proto::UnitSpec::TENSOR && u[2].lanes() == 2));
  REQUIRE(c.gpu().sm().tensor(0).latency_cycles() == 20);
  REQUIRE(c.gpu().sm().tensor_size() == 2);
  REQUIRE(c.gpu().sm().tensor(1).shape() == "m16n8k8");
  REQUIRE(at(locs, "gpu.sm.unit[0].latency_cycles") == "<command line>");
  REQUIRE(at(locs, "gpu.sm.unit[0].lanes") == "cfg.textproto:2:21");
  REQUIRE(at(locs, "gpu.sm.unit[2].kind") == "<command line>");
}

TEST_CASE("textproto: overrides set repeated scalars as lists or by index", "[textproto]") {
  proto::Workload w;
  io::LocationMap locs;
  io::parse_text("buffer { name: \"A\" shape: [1, 2, 3] }\nbuffer { name: \"B\" }\n", "wl", &w, &locs);
  io::apply_override(&w, "buffer[A].shape=[64, 64]", &locs);
  REQUIRE(std::vector<uint64_t>(w.buffer(0).shape().begin(), w.buffer(0).shape().end()) ==
          std::vector<uint64_t>{64, 64});
  REQUIRE_FALSE(locs.has("buffer[0].shape[2]"));
  REQUIRE(at(locs, "buffer[0].shape[1]") == "<command line>");
  io::apply_override(&w, "buffer[A].shape[1]=32", &locs);
  REQUIRE(w.buffer(0).shape(1) == 32);
  io::apply_override(&w, "buffer[\"B\"].dtype=FP32", &locs);
  REQUIRE(w.buffer(1).dtype() == proto::FP32);
  io::apply_override(&w, "buffer[A].shape=[]", &locs);
  REQUIRE(w.buffer(0).shape_size() == 0);
}

TEST_CASE("textproto: override errors say what is wrong with which field", "[textproto]") {
  io::LocationMap locs;
  proto::SystemConfig c = parse_config("gpu { num_sms: 4 sm { unit { kind: FP32 } unit { kind: INT } } }", &locs);
  auto err = [&](const std::string& a) { return override_error(&c, a); };
  REQUIRE(err("gpu.sm.foo=3") == std::string("<command line>: override \"gpu.sm.foo=3\": unknown field \"foo\" in "
                                             "gpu.sm (SmSpec); valid fields: ") + kSmFields);
  REQUIRE(err("bogus=1") == "<command line>: override \"bogus=1\": unknown field \"bogus\" in SystemConfig; valid "
                            "fields: base, name, description, gpu, sim, energy");
  REQUIRE(err("gpu.num_sms.x=1") ==
          "<command line>: override \"gpu.num_sms.x=1\": gpu.num_sms is a uint32, not a message; it has no fields");
  REQUIRE(err("gpu.num_sms=abc") ==
          "<command line>: override \"gpu.num_sms=abc\": gpu.num_sms (uint32): expected an integer, got \"abc\"");
  REQUIRE(err("gpu.num_sms=4294967296") == "<command line>: override \"gpu.num_sms=4294967296\": gpu.num_sms "
                                           "(uint32): 4294967296 is out of range [0, 4294967295]");
  REQUIRE(err("gpu.num_sms=-1") ==
          "<command line>: override \"gpu.num_sms=-1\": gpu.num_sms (uint32): negative value -1 for an unsigned field");
  REQUIRE(err("gpu.core_clock_mhz=1e999") == "<command line>: override \"gpu.core_clock_mhz=1e999\": "
                                             "gpu.core_clock_mhz (double): 1e999 is out of range for double");
  REQUIRE(err("sim.functional=yes") ==
          "<command line>: override \"sim.functional=yes\": sim.functional (bool): expected true or false, got \"yes\"");
  REQUIRE(err("gpu.sm.scheduler=FAST") == std::string("<command line>: override \"gpu.sm.scheduler=FAST\": "
                                                      "gpu.sm.scheduler (enum SchedulerPolicy): unknown value "
                                                      "\"FAST\"; valid values: ") + kSchedulers);
  REQUIRE(err("gpu.num_sms[0]=1") ==
          "<command line>: override \"gpu.num_sms[0]=1\": gpu.num_sms is not a repeated field; remove \"[0]\"");
}

TEST_CASE("textproto: override errors for messages, lists and selectors", "[textproto]") {
  io::LocationMap locs;
  proto::SystemConfig c = parse_config("gpu { sm { unit { kind: FP32 } unit { kind: INT } } }", &locs);
  auto err = [&](const std::string& a) { return override_error(&c, a); };
  REQUIRE(err("gpu.sm.unit[5].lanes=1") ==
          "<command line>: override \"gpu.sm.unit[5].lanes=1\": index 5 is out of range: gpu.sm.unit has 2 elements");
  REQUIRE(err("gpu.sm=1") == std::string("<command line>: override \"gpu.sm=1\": gpu.sm is a message (SmSpec), not "
                                         "a value; set one of its fields: ") + kSmFields);
  REQUIRE(err("gpu.sm.unit.lanes=1") == "<command line>: override \"gpu.sm.unit.lanes=1\": gpu.sm.unit is a repeated "
                                        "field; select an element: unit[0] or unit[kind]");
  REQUIRE(err("gpu.sm.tensor[m16n8k16].latency_cycles=1") ==
          "<command line>: override \"gpu.sm.tensor[m16n8k16].latency_cycles=1\": elements of gpu.sm.tensor are "
          "keyed by shape,dtype; give 2 values in [...]");
  REQUIRE(err("gpu.sm.unit[FP33].lanes=1") ==
          "<command line>: override \"gpu.sm.unit[FP33].lanes=1\": gpu.sm.unit key kind (enum Kind): unknown value "
          "\"FP33\"; valid values: KIND_UNSPECIFIED, INT, FP32, FP16, FP64, SFU, TENSOR, LSU, BRANCH, MISC");
  proto::Workload w;
  w.add_buffer()->set_name("A");
  w.add_launch();
  REQUIRE(override_error(&w, "buffer[A].shape=64") ==
          "<command line>: override \"buffer[A].shape=64\": buffer[0].shape is a repeated field; give a list such as "
          "[1, 2] (or select an element: shape[0])");
  REQUIRE(override_error(&w, "launch[main].grid.x=1") ==
          "<command line>: override \"launch[main].grid.x=1\": elements of launch have no key; select one by index: "
          "launch[0]");
}

TEST_CASE("textproto: malformed overrides are InputErrors", "[textproto]") {
  proto::SystemConfig c;
  REQUIRE(override_error(&c, "gpu.num_sms") == "<command line>: override \"gpu.num_sms\": expected path=value");
  REQUIRE(override_error(&c, "=5") == "<command line>: override \"=5\": empty field path before '='");
  REQUIRE(override_error(&c, "gpu..num_sms=1") ==
          "<command line>: override \"gpu..num_sms=1\": empty field name in \"gpu..num_sms\"");
  REQUIRE(override_error(&c, "gpu.sm.unit[FP32.lanes=1") ==
          "<command line>: override \"gpu.sm.unit[FP32.lanes=1\": missing ']' after \"unit[\"");
  REQUIRE(override_error(&c, "gpu.sm.unit[].lanes=1") ==
          "<command line>: override \"gpu.sm.unit[].lanes=1\": empty [] after \"unit\"; give an index or a key");
  const Errors e = errors_of([&] { io::apply_override(&c, "nope", nullptr); });
  REQUIRE(e.size() == 1);
  try {
    io::apply_override(&c, "nope", nullptr);
  } catch (const InputErrors& x) {
    REQUIRE(x.errors().at(0).loc.file == "<command line>");
    REQUIRE(x.errors().at(0).loc.line == 0);
  }
}

TEST_CASE("textproto: a failed override changes neither the message nor the locations", "[textproto]") {
  io::LocationMap locs;
  proto::SystemConfig c = parse_config("gpu { sm { unit { kind: FP32 } } }", &locs);
  const std::string before = c.SerializeAsString();
  const auto entries_before = locs.entries().size();
  override_error(&c, "gpu.l1.capacity_kb=abc");
  override_error(&c, "gpu.sm.unit[TENSOR].lanes=x");
  REQUIRE_FALSE(c.gpu().has_l1());
  REQUIRE(c.gpu().sm().unit_size() == 1);
  REQUIRE(c.SerializeAsString() == before);
  io::LocationMap kept = locs;
  const Errors e = errors_of([&] { io::apply_override(&c, "gpu.sm.unit[TENSOR].lanes=x", &kept); });
  REQUIRE(e.size() == 1);
  REQUIRE(kept.entries().size() == entries_before);
  REQUIRE_FALSE(kept.has("gpu.sm.unit[1]"));
}

}  // namespace
