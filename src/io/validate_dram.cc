// Validation of gpu.dram when the DRAM model is used: every organisation and timing field
// present, no impossible machine, a well-formed address mapping. Each error names the field
// and the file:line:col that set it (the preset's or the config's).
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "src/io/dram_config.h"

namespace xpusim::io {

bool parse_dram_mapping(const std::string& s, std::vector<std::string>& fields, std::string& error) {
  static const std::vector<std::string> kKnown = {"ro", "ra", "bg", "ba", "co", "pc", "ch"};
  fields.clear();
  size_t start = 0;
  while (start <= s.size()) {
    const size_t dash = std::min(s.find('-', start), s.size());
    std::string tok = s.substr(start, dash - start);
    if (std::find(kKnown.begin(), kKnown.end(), tok) == kKnown.end()) {
      error = fmt::format("unknown field '{}' in \"{}\" (fields: ro, ra, bg, ba, co, pc, ch, separated by '-')", tok, s);
      return false;
    }
    if (std::find(fields.begin(), fields.end(), tok) != fields.end()) {
      error = fmt::format("field '{}' appears twice in \"{}\"", tok, s);
      return false;
    }
    fields.push_back(std::move(tok));
    start = dash + 1;
  }
  for (const std::string& k : kKnown)
    if (k != "ra" && std::find(fields.begin(), fields.end(), k) == fields.end()) {
      error = fmt::format("field '{}' missing from \"{}\" (ro, bg, ba, co, pc and ch are required; ra is optional)", k, s);
      return false;
    }
  return true;
}

namespace {

struct DramChecker {
  const LocationMap& where;
  ErrorList& errors;
  bool ok = true;

  template <typename... A>
  void fail(const std::string& field, fmt::format_string<A...> f, A&&... a) {
    const std::string path = "gpu.dram." + field;
    errors.add(where.find(path), path + ": " + fmt::format(f, std::forward<A>(a)...));
    ok = false;
  }
  void need(const std::string& field, bool has, uint64_t v, uint64_t lo) {
    if (!has) return fail(field, "required (state it with its source, or name a preset: configs/memory/)");
    if (v < lo) fail(field, "must be at least {}, got {}", lo, v);
  }
};

void check_org(DramChecker& c, const proto::DramSpec& d) {
  const proto::DramOrg& o = d.org();
  c.need("stacks", d.has_stacks(), d.stacks(), 1);
  if (!d.has_data_rate_mtps()) c.fail("data_rate_mtps", "required (per-pin rate in MT/s, with its source)");
  c.need("org.channels_per_stack", o.has_channels_per_stack(), o.channels_per_stack(), 1);
  c.need("org.pseudo_channels", o.has_pseudo_channels(), o.pseudo_channels(), 1);
  c.need("org.ranks", o.has_ranks(), o.ranks(), 1);
  c.need("org.bank_groups", o.has_bank_groups(), o.bank_groups(), 1);
  c.need("org.banks_per_group", o.has_banks_per_group(), o.banks_per_group(), 1);
  c.need("org.rows", o.has_rows(), o.rows(), 1);
  c.need("org.columns", o.has_columns(), o.columns(), 1);
  c.need("org.bus_bits", o.has_bus_bits(), o.bus_bits(), 8);
  c.need("org.burst_length", o.has_burst_length(), o.burst_length(), 1);
  if (!c.ok) return;
  if (o.ranks() * o.bank_groups() * o.banks_per_group() > 256)
    c.fail("org.banks_per_group", "{} ranks x {} bank groups x {} banks: at most 256 banks per controller", o.ranks(),
           o.bank_groups(), o.banks_per_group());
  if (o.bus_bits() % 8) c.fail("org.bus_bits", "must be a whole number of bytes, got {}", o.bus_bits());
  const uint64_t access = uint64_t{o.bus_bits()} / 8 * o.burst_length();
  if (access != 32 && access != 64 && access != 128)
    c.fail("org.burst_length", "a column access moves bus_bits/8 x burst_length = {} bytes; the model needs 32, 64 or "
           "128 (one or more 32-byte sectors of a 128-byte line)", access);
  else if (uint64_t{o.columns()} * access % 128)
    c.fail("org.columns", "a row of {} x {} bytes does not hold whole 128-byte lines", o.columns(), access);
  const uint64_t width = uint64_t{d.stacks()} * o.channels_per_stack() * o.pseudo_channels() * o.bus_bits();
  if (d.has_bus_width_bits() && d.bus_width_bits() != width)
    c.fail("bus_width_bits", "{} bits, but stacks x channels_per_stack x pseudo_channels x bus_bits = {} x {} x {} x {} "
           "= {}", d.bus_width_bits(), d.stacks(), o.channels_per_stack(), o.pseudo_channels(), o.bus_bits(), width);
}

void check_timing(DramChecker& c, const proto::DramSpec& d) {
  const proto::DramTiming& t = d.timing();
  const bool before = c.ok;
  c.need("timing.tck_ps", t.has_tck_ps(), t.tck_ps(), 1);
  c.need("timing.bl", t.has_bl(), t.bl(), 1);
  for (const auto& [name, has, v, lo] : {
           std::tuple{"rcd", t.has_rcd(), t.rcd(), 1u}, {"rp", t.has_rp(), t.rp(), 1u}, {"ras", t.has_ras(), t.ras(), 1u},
           {"rc", t.has_rc(), t.rc(), 1u}, {"cl", t.has_cl(), t.cl(), 1u}, {"cwl", t.has_cwl(), t.cwl(), 0u},
           {"ccd_s", t.has_ccd_s(), t.ccd_s(), 1u}, {"ccd_l", t.has_ccd_l(), t.ccd_l(), 1u},
           {"rrd_s", t.has_rrd_s(), t.rrd_s(), 1u}, {"rrd_l", t.has_rrd_l(), t.rrd_l(), 1u},
           {"faw", t.has_faw(), t.faw(), 0u}, {"wtr_s", t.has_wtr_s(), t.wtr_s(), 0u},
           {"wtr_l", t.has_wtr_l(), t.wtr_l(), 0u}, {"rtp", t.has_rtp(), t.rtp(), 1u}, {"wr", t.has_wr(), t.wr(), 1u},
           {"rfc", t.has_rfc(), t.rfc(), 1u}, {"refi", t.has_refi(), t.refi(), 1u},
           {"rtrs", t.has_rtrs(), t.rtrs(), 0u}})
    c.need(std::string("timing.") + name, has, v, lo);
  if (!c.ok) return;
  if (t.rc() < t.ras() + t.rp())
    c.fail("timing.rc", "tRC ({}) is shorter than tRAS + tRP ({} + {})", t.rc(), t.ras(), t.rp());
  if (t.ccd_l() < t.ccd_s()) c.fail("timing.ccd_l", "tCCD_L ({}) is shorter than tCCD_S ({})", t.ccd_l(), t.ccd_s());
  if (t.rrd_l() < t.rrd_s()) c.fail("timing.rrd_l", "tRRD_L ({}) is shorter than tRRD_S ({})", t.rrd_l(), t.rrd_s());
  if (t.wtr_l() < t.wtr_s()) c.fail("timing.wtr_l", "tWTR_L ({}) is shorter than tWTR_S ({})", t.wtr_l(), t.wtr_s());
  if (d.controller().refresh() && t.refi() <= t.rfc())
    c.fail("timing.refi", "tREFI ({}) must exceed tRFC ({}): the rank would never be available", t.refi(), t.rfc());
  // The command clock follows from the pin rate (burst_length transfers per tBL clocks);
  // tck_ps must agree with it, to the picosecond it is rounded to.
  if (before && d.data_rate_mtps() > 0) {
    const double tck = 1e6 * d.org().burst_length() / (d.data_rate_mtps() * t.bl());
    if (std::abs(tck - t.tck_ps()) > 1.0)
      c.fail("timing.tck_ps", "{} ps, but data_rate_mtps {} with burst_length {} over tBL {} clocks gives {:.1f} ps "
             "(set tck_ps and the timings in clocks for this data rate)", t.tck_ps(), d.data_rate_mtps(),
             d.org().burst_length(), t.bl(), tck);
  }
}

void check_controller(DramChecker& c, const proto::DramController& k) {
  if (k.read_queue() < 1 || k.read_queue() > 1024) c.fail("controller.read_queue", "must be 1..1024, got {}", k.read_queue());
  if (k.write_queue() < 1 || k.write_queue() > 1024)
    c.fail("controller.write_queue", "must be 1..1024, got {}", k.write_queue());
  if (k.write_high_watermark() < 1 || k.write_high_watermark() > k.write_queue())
    c.fail("controller.write_high_watermark", "must be 1..write_queue ({}), got {}", k.write_queue(),
           k.write_high_watermark());
  if (k.write_low_watermark() >= k.write_high_watermark())
    c.fail("controller.write_low_watermark", "must be below the high watermark ({}), got {}", k.write_high_watermark(),
           k.write_low_watermark());
  std::vector<std::string> fields;
  std::string err;
  if (!parse_dram_mapping(k.address_mapping(), fields, err)) c.fail("controller.address_mapping", "{}", err);
}

}  // namespace

void validate_dram(const proto::GpuSpec& g, const LocationMap& where, ErrorList& errors) {
  if (!dram_model_used(g)) return;
  DramChecker c{where, errors};
  check_org(c, g.dram());
  check_timing(c, g.dram());
  check_controller(c, g.dram().controller());
}

}  // namespace xpusim::io
