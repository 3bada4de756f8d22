#include "src/sim/checks.h"

#include <map>

#include "src/workload/npy.h"
#include "src/workload/reference.h"

namespace xpusim::sim {

namespace {

std::vector<double> reference(const io::LoadedWorkload& wl, int i, const std::map<std::string, const workload::BufferData*>& by,
                              std::string* kind) {
  const proto::Check& ch = wl.wl.check(i);
  const proto::Reference& r = ch.reference();
  const SourceLoc where = wl.where.find(io::join_path("", "check", i) + ".reference");
  switch (r.kind_case()) {
    case proto::Reference::kGemm: {
      *kind = "gemm";
      const auto& g = r.gemm();
      return workload::reference_gemm(*by.at(g.a()), *by.at(g.b()), g.c().empty() ? nullptr : by.at(g.c()),
                                      g.has_alpha() ? g.alpha() : 1.0, g.beta(), where);
    }
    case proto::Reference::kElementwise:
      *kind = "elementwise";
      return workload::reference_elementwise(r.elementwise().expr(), by, where);
    case proto::Reference::kReduce:
      *kind = "reduce";
      return workload::reference_reduce(*by.at(r.reduce().input()), r.reduce().op(), r.reduce().axis(),
                                        r.reduce().has_axis(), where);
    case proto::Reference::kNpy: {
      *kind = "npy";
      const workload::NpyArray a = workload::read_npy(wl.resolve(r.npy().path()));
      std::vector<double> v(a.elements());
      for (uint64_t k = 0; k < v.size(); ++k) v[k] = a.get(k);
      return v;
    }
    default:
      return {};
  }
}

}  // namespace

void run_checks(const io::LoadedWorkload& wl, const std::vector<workload::BufferData>& bufs, proto::Report* rep) {
  std::map<std::string, const workload::BufferData*> by;
  for (const auto& b : bufs) by[b.name] = &b;
  bool all = true;
  for (int i = 0; i < wl.wl.check_size(); ++i) {
    const proto::Check& ch = wl.wl.check(i);
    const workload::BufferData& out = *by.at(ch.buffer());
    std::string kind;
    const std::vector<double> ref = reference(wl, i, by, &kind);
    const double rtol = ch.has_rtol() ? ch.rtol() : workload::default_rtol(out.dtype);
    const double atol = ch.has_atol() ? ch.atol() : 0.0;
    const workload::CheckOutcome o =
        workload::compare(out, ref, ch.metric(), rtol, atol, wl.where.find(io::join_path("", "check", i)));
    proto::CheckResult* r = rep->add_checks();
    r->set_buffer(ch.buffer());
    r->set_reference(kind);
    r->set_passed(o.passed);
    r->set_metric(proto::CheckMetric_Name(ch.metric()));
    r->set_error(o.error);
    r->set_rtol(rtol);
    r->set_atol(atol);
    r->set_elements(o.elements);
    r->set_mismatches(o.mismatches);
    r->set_nans(o.nans);
    r->set_message(o.message);
    all &= o.passed;
  }
  rep->set_checks_passed(all);
}

}  // namespace xpusim::sim
