// Defaults of the DRAM controller (gpu.dram.controller) and of the organisation fields that
// have a usual value. Timings and the rest of the organisation have none: a preset in
// configs/memory/ states them with their sources.
#include "src/io/dram_config.h"

namespace xpusim::io {

bool dram_model_used(const proto::GpuSpec& g) {
  return g.memory_model() == proto::HIERARCHY || g.dram().has_org() || g.dram().has_timing();
}

void apply_dram_defaults(proto::GpuSpec& g) {
  if (!dram_model_used(g)) return;
  proto::DramSpec& d = *g.mutable_dram();
  proto::DramOrg& o = *d.mutable_org();
  if (!o.has_ranks()) o.set_ranks(1);
  if (!o.has_pseudo_channels()) o.set_pseudo_channels(1);
  if (!d.has_bus_width_bits() && d.has_stacks() && o.has_bus_bits())
    d.set_bus_width_bits(d.stacks() * o.channels_per_stack() * o.pseudo_channels() * o.bus_bits());
  proto::DramController& c = *d.mutable_controller();
  if (c.scheduler() == proto::DRAM_SCHEDULER_UNSPECIFIED) c.set_scheduler(proto::FRFCFS);
  if (c.row_policy() == proto::ROW_POLICY_UNSPECIFIED) c.set_row_policy(proto::OPEN_ROW);
  // Queue sizes: DRAMsim3's HBM2 configs hold 32 transactions per channel (trans_queue_size);
  // a GPU memory controller serves a whole L2 slice pair, so twice that per direction.
  if (!c.has_read_queue()) c.set_read_queue(64);
  if (!c.has_write_queue()) c.set_write_queue(64);
  // Drain writes from 3/4 full down to 1/4 (the usual watermark pair, e.g. USIMM's defaults).
  if (!c.has_write_high_watermark()) c.set_write_high_watermark(c.write_queue() * 3 / 4);
  if (!c.has_write_low_watermark()) c.set_write_low_watermark(c.write_queue() / 4);
  // Channel bits lowest: consecutive lines go to different (pseudo-)channels, then a row
  // fills before the bank group changes (docs/models/dram.md "Address mapping").
  if (!c.has_address_mapping()) c.set_address_mapping("ro-ba-bg-co-pc-ch");
  if (!c.has_frontend_latency_cycles()) c.set_frontend_latency_cycles(0);
  if (!c.has_refresh()) c.set_refresh(true);
}

}  // namespace xpusim::io
