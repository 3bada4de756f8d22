// The DRAM section of a machine config (gpu.dram): its preset file, its defaults and its
// validation, kept apart from the rest of the loader so the DRAM rules live in one place.
// docs/models/dram.md explains every field.
#pragma once

#include <string>
#include <vector>

#include "config.pb.h"
#include "src/io/textproto.h"

namespace xpusim::io {

// `gpu.dram.preset: "../memory/hbm2e.textproto"` names a file holding one DramSpec, relative
// to the config file that set the field (or to the working directory for a --set override).
// The preset is loaded and the config's own dram fields are merged over it (scalars set in
// the config win; locations follow). Errors (missing file, syntax, unknown field, a preset
// naming another preset) are added to `errors` with the preset's file:line:col.
// Called by load_config after `base:` and `--set`, before defaults.
void resolve_dram_preset(proto::SystemConfig& cfg, LocationMap& where, ErrorList& errors);

// Defaults of the controller policy (queues, watermarks, scheduler, mapping, refresh).
// Organisation and timing have none: a preset states them with their sources.
// Called from apply_defaults (defaults.cc).
void apply_dram_defaults(proto::GpuSpec& gpu);

// Whether the config describes a DRAM device to simulate (the hierarchy is selected, or the
// dram section has an organisation or timing), as opposed to only a peak and a latency.
bool dram_model_used(const proto::GpuSpec& gpu);

// Impossible DRAM machines (zero banks, tRC < tRAS + tRP, a mapping string naming an unknown
// field, ...). Called from validate_config (validate.cc).
void validate_dram(const proto::GpuSpec& gpu, const LocationMap& where, ErrorList& errors);

// The address-mapping string: fields separated by '-', most significant first. Returns the
// field tokens ("ro", "ra", "bg", "ba", "co", "pc", "ch"), or false with `error` set when a
// field is unknown, repeated or missing (ro, bg, ba, co, pc, ch are required; ra optional).
bool parse_dram_mapping(const std::string& s, std::vector<std::string>& fields, std::string& error);

}  // namespace xpusim::io
