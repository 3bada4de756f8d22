// Instruction timing from a machine config, and the control bits the assembler derives from
// it: every shipped kernel, assembled for a machine, must never issue an instruction before
// a fixed-latency result it uses is ready, under the SM's issue rule (an instruction issues
// max(stall, yield ? 2 : 1) cycles after the one before it).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "src/io/config.h"
#include "src/isa/assembler.h"
#include "src/sim/inst_timing.h"

using namespace xpusim;

namespace {

const std::string kRoot = XPUSIM_SOURCE_DIR;

std::vector<std::string> shipped_kernels() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(kRoot + "/traces/kernels"))
    if (e.is_regular_file() && e.path().extension() == ".xasm") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Block leaders as control flow defines them: the entry, branch targets, what follows a
// branch or an exit, and both ends of a BSSY region.
std::vector<bool> leaders(const isa::Kernel& k) {
  std::vector<bool> lead(k.code.size() + 1, false);
  lead[0] = true;
  for (size_t pc = 0; pc < k.code.size(); ++pc) {
    const isa::Inst& in = k.code[pc];
    if (in.op == isa::Op::BRA) lead[static_cast<size_t>(in.src[0].imm)] = true;
    if (in.op == isa::Op::BRA || in.op == isa::Op::EXIT || in.op == isa::Op::BSSY) lead[pc + 1] = true;
    if (in.op == isa::Op::BSSY) lead[static_cast<size_t>(in.src[1].imm)] = true;
  }
  return lead;
}

// The fewest cycles the SM can take between issuing p and issuing c (or, when c is the
// block's end, leaving the block): every instruction issues at least max(stall, yield ? 2 : 1)
// cycles after its predecessor and at least its unit's interval after the latest earlier
// instruction on that unit; nothing else (counter waits, other warps) shortens it.
uint64_t min_distance(const isa::Kernel& k, const sim::InstTimingTable& t, size_t p, size_t c, bool exit) {
  std::vector<uint64_t> d(c - p + 1, 0);
  for (size_t q = p + 1; q <= c; ++q) {
    const isa::Ctrl& prev = k.code[q - 1].ctrl;
    d[q - p] = d[q - 1 - p] + std::max<uint32_t>(prev.stall, prev.yield ? 2 : 1);
    if (exit && q == c) break;
    for (size_t r = q; r-- > p;)  // the latest earlier instruction on the same unit
      if (k.code[r].unit == k.code[q].unit) {
        d[q - p] = std::max(d[q - p], d[r - p] + t.of(k.code[r]).interval);
        break;
      }
  }
  return d[c - p];
}

// Checks every fixed-latency producer against its first user in its block (and the block
// end). Returns a description of each violation.
std::vector<std::string> violations(const isa::Kernel& k, const sim::InstTimingTable& t) {
  std::vector<std::string> bad;
  const std::vector<bool> lead = leaders(k);
  const size_t n = k.code.size();
  for (size_t p = 0; p < n; ++p) {
    const isa::Inst& in = k.code[p];
    if (!in.fixed_latency) continue;
    std::vector<bool> w(isa::kRegSlots, false);
    bool writes = false;
    isa::for_each_write(in, [&](int sl) { w[static_cast<size_t>(sl)] = writes = true; });
    if (!writes) continue;
    size_t c = p + 1;
    bool used = false;
    for (; c < n && !lead[c]; ++c) {
      isa::for_each_read(k.code[c], [&](int sl) { used |= w[static_cast<size_t>(sl)]; });
      isa::for_each_write(k.code[c], [&](int sl) { used |= w[static_cast<size_t>(sl)]; });
      if (used) break;
    }
    if (in.ctrl.wbar != isa::kNoBarrier) {  // covered by a counter: the user must wait on it
      if (used && !(k.code[c].ctrl.wait & (1 << in.ctrl.wbar)))
        bad.push_back(k.name + ": line " + std::to_string(k.code[c].line) + " does not wait on the counter of line " +
                      std::to_string(in.line));
      continue;
    }
    const uint64_t lat = t.of(in).latency, d = min_distance(k, t, p, c, !used);
    if (d < lat)
      bad.push_back(k.name + ": line " + std::to_string(in.line) + " (latency " + std::to_string(lat) + ") is " +
                    (used ? "used by line " + std::to_string(k.code[c].line) : std::string("left at the block end")) +
                    " after " + std::to_string(d) + " cycles");
  }
  return bad;
}

}  // namespace

TEST_CASE("instruction timing resolves unit, tensor shape and the longest opcode prefix", "[timing]") {
  const io::LoadedConfig lc = io::load_config(kRoot + "/configs/gpu/a100.textproto",
                                              {"gpu.sm.opcode[MUFU].latency_cycles=30",
                                               "gpu.sm.opcode[MUFU.EX2].latency_cycles=19"});
  const sim::InstTimingTable t = sim::InstTimingTable::from(lc.cfg.gpu().sm());
  const isa::Kernel k = isa::assemble_text(R"(.kernel k
.regs 16
        FFMA R0, R1, R2, R3
        MUFU.EX2 R4, R5
        MUFU.RSQ R4, R5
        HMMA.16816.F32 R0, R4, R8, R0
        HMMA.1688.F32.TF32 R0, R4, R8, R0
        EXIT
)", "t.xasm")[0];
  uint32_t fp32 = 0, tensor16 = 0, tensor_tf32 = 0;
  for (const auto& u : lc.cfg.gpu().sm().unit())
    if (u.kind() == proto::UnitSpec::FP32) fp32 = u.latency_cycles();
  for (const auto& e : lc.cfg.gpu().sm().tensor()) {
    if (e.shape() == "m16n8k16" && e.dtype() == proto::FP16) tensor16 = e.latency_cycles();
    if (e.shape() == "m16n8k8" && e.dtype() == proto::TF32) tensor_tf32 = e.latency_cycles();
  }
  REQUIRE(fp32 > 0);
  REQUIRE(tensor16 > 0);
  REQUIRE(tensor_tf32 > 0);
  CHECK(t.of(k.code[0]).latency == fp32);
  CHECK(t.of(k.code[1]).latency == 19);  // MUFU.EX2 beats MUFU
  CHECK(t.of(k.code[2]).latency == 30);
  CHECK(t.of(k.code[3]).latency == tensor16);
  CHECK(t.of(k.code[4]).latency == tensor_tf32);
}

TEST_CASE("each opcode field comes from the longest matching entry that sets it, in any order", "[timing]") {
  for (const bool reversed : {false, true}) {
    std::vector<std::string> sets = {"gpu.sm.opcode[MUFU.EX2].latency_cycles=19", "gpu.sm.opcode[MUFU].interval_cycles=16",
                                     "gpu.sm.opcode[MUFU].latency_cycles=30"};
    if (reversed) std::reverse(sets.begin(), sets.end());
    const io::LoadedConfig lc = io::load_config(kRoot + "/configs/gpu/a100.textproto", sets);
    const sim::InstTimingTable t = sim::InstTimingTable::from(lc.cfg.gpu().sm());
    const isa::Kernel k = isa::assemble_text(".kernel k\n.regs 8\n MUFU.EX2 R0, R1\n MUFU.RSQ R0, R1\n EXIT\n", "t.xasm")[0];
    CHECK(t.of(k.code[0]).latency == 19);
    CHECK(t.of(k.code[0]).interval == 16);
    CHECK(t.of(k.code[1]).latency == 30);
    CHECK(t.of(k.code[1]).interval == 16);
  }
}

TEST_CASE("shipped kernels assembled for a machine never use a fixed-latency result early", "[timing][ctrl]") {
  for (const std::vector<std::string>& sets :
       {std::vector<std::string>{},
        // latencies the unit defaults do not know: the pass must follow the machine
        std::vector<std::string>{"gpu.sm.opcode[IMAD].latency_cycles=9", "gpu.sm.opcode[HMMA].latency_cycles=41",
                                 "gpu.sm.unit[FP32].latency_cycles=6"}}) {
    const io::LoadedConfig lc = io::load_config(kRoot + "/configs/gpu/a100.textproto", sets);
    const sim::InstTimingTable t = sim::InstTimingTable::from(lc.cfg.gpu().sm());
    isa::AsmOptions opt;
    opt.latency = sim::latency_table(lc.cfg);
    size_t checked = 0;
    for (const std::string& path : shipped_kernels())
      for (const isa::Kernel& k : isa::assemble_file(path, opt)) {
        if (k.ctrl_given) continue;  // hand-written control bits are the author's
        INFO(path << (sets.empty() ? "" : " with overrides"));
        CHECK(violations(k, t).empty());
        ++checked;
      }
    CHECK(checked >= 6);
  }
}

TEST_CASE("the verifier catches a stall count that is too short", "[timing][ctrl]") {
  const io::LoadedConfig lc = io::load_config(kRoot + "/configs/gpu/a100.textproto");
  const sim::InstTimingTable t = sim::InstTimingTable::from(lc.cfg.gpu().sm());
  isa::AsmOptions opt;
  opt.latency = sim::latency_table(lc.cfg);
  isa::Kernel k = isa::assemble_text(R"(.kernel k
.regs 8
        FFMA R0, R1, R2, R3
        FADD R4, R0, R1
        EXIT
)", "t.xasm", opt)[0];
  REQUIRE(violations(k, t).empty());
  k.code[0].ctrl.stall = 1;
  CHECK(violations(k, t).size() == 1);
}

TEST_CASE("the pass places instructions where their unit takes them", "[timing][ctrl]") {
  // Two independent HMMAs share the tensor pipe: the second issues at least an interval (8)
  // after the first, so the next step's HMMA, which needs the first's result (latency 20),
  // needs a stall of 12 behind the second, not 19 (as if the pipe did not exist).
  const io::LoadedConfig lc = io::load_config(kRoot + "/configs/gpu/a100.textproto",
                                              {"gpu.sm.opcode[HMMA].latency_cycles=20",
                                               "gpu.sm.opcode[HMMA].interval_cycles=8"});
  isa::AsmOptions opt;
  opt.latency = sim::latency_table(lc.cfg);
  const isa::Kernel k = isa::assemble_text(R"(.kernel k
.regs 24
        HMMA.16816.F32 R0, R8, R12, R0
        HMMA.16816.F32 R4, R8, R14, R4
        HMMA.16816.F32 R0, R8, R12, R0
        HMMA.16816.F32 R4, R8, R14, R4
        EXIT
)", "t.xasm", opt)[0];
  CHECK(violations(k, sim::InstTimingTable::from(lc.cfg.gpu().sm())).empty());
  CHECK(k.code[0].ctrl.stall == 1);   // issues at 0; the second waits for the pipe until 8
  CHECK(k.code[1].ctrl.stall == 12);  // 8 + 12 = 20 = the first's result
  CHECK(k.code[2].ctrl.stall == 1);   // the fourth: the pipe holds it until 28 = the second's result
}

TEST_CASE("the pass does not rely on a unit interval that a counter wait can hide", "[timing][ctrl]") {
  // MUFU waits for the FMUL in front of it; that FMUL waits on the previous MUFU's counter,
  // so the SFU is long free when it issues: the FMUL -> MUFU latency needs stalls, whatever
  // the SFU's interval.
  const io::LoadedConfig lc = io::load_config(kRoot + "/configs/gpu/a100.textproto",
                                              {"gpu.sm.unit[SFU].interval_cycles=8"});
  isa::AsmOptions opt;
  opt.latency = sim::latency_table(lc.cfg);
  const isa::Kernel k = isa::assemble_text(R"(.kernel k
.regs 8
        FMUL R0, R0, 0.5
        MUFU.SIN R0, R0
        FMUL R0, R0, 0.5
        MUFU.SIN R0, R0
        EXIT
)", "t.xasm", opt)[0];
  const sim::InstTimingTable t = sim::InstTimingTable::from(lc.cfg.gpu().sm());
  CHECK(violations(k, t).empty());
  CHECK(k.code[2].ctrl.stall >= t.of(k.code[2]).latency);
}
