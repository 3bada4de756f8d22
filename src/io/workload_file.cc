#include "src/io/workload_file.h"

#include <fmt/format.h>

#include <filesystem>
#include <set>

namespace xpusim::io {

namespace fs = std::filesystem;

std::string LoadedWorkload::resolve(const std::string& rel) const {
  if (rel.empty() || fs::path(rel).is_absolute()) return rel;
  return (fs::path(dir) / rel).lexically_normal().string();
}

namespace {

struct Checker {
  const LoadedWorkload& lw;
  ErrorList& errors;
  std::set<std::string> buffers;

  template <typename... A>
  void fail(const std::string& path, fmt::format_string<A...> f, A&&... a) {
    errors.add(lw.where.find(path), path + ": " + fmt::format(f, std::forward<A>(a)...));
  }
  void buffer_ref(const std::string& path, const std::string& name) {
    if (name.empty()) return fail(path, "names no buffer");
    if (!buffers.count(name)) fail(path, "no buffer named '{}'", name);
  }
  void file_ref(const std::string& path, const std::string& rel) {
    if (rel.empty()) return fail(path, "needs a file path");
    if (!fs::exists(lw.resolve(rel))) fail(path, "file '{}' not found", lw.resolve(rel));
  }
};

void check_buffers(Checker& c) {
  const proto::Workload& wl = c.lw.wl;
  for (int i = 0; i < wl.buffer_size(); ++i) {
    const proto::Buffer& b = wl.buffer(i);
    const std::string p = join_path("", "buffer", i);
    if (b.name().empty()) c.fail(p + ".name", "every buffer needs a name");
    else if (!c.buffers.insert(b.name()).second) c.fail(p + ".name", "buffer '{}' is declared twice", b.name());
    if (b.dtype() == proto::DTYPE_UNSPECIFIED) c.fail(p + ".dtype", "required (FP16, FP32, INT8, ...)");
    if (b.shape_size() == 0) c.fail(p + ".shape", "required, e.g. shape: [1024, 1024]");
    for (int k = 0; k < b.shape_size(); ++k)
      if (b.shape(k) == 0) c.fail(join_path(p, "shape", k), "dimensions must be positive");
    if (b.init().has_npy()) c.file_ref(p + ".init.npy.path", b.init().npy().path());
  }
}

void check_launches(Checker& c) {
  const proto::Workload& wl = c.lw.wl;
  if (wl.launch_size() == 0) c.errors.add(c.lw.where.root(), "the workload launches no kernel (add launch { ... })");
  for (int i = 0; i < wl.launch_size(); ++i) {
    const proto::Launch& l = wl.launch(i);
    const std::string p = join_path("", "launch", i);
    c.file_ref(p + ".kernel", l.kernel());
    for (const char* d : {"grid", "block"}) {
      const proto::Dim3& dim = std::string(d) == "grid" ? l.grid() : l.block();
      if ((dim.has_x() && dim.x() == 0) || (dim.has_y() && dim.y() == 0) || (dim.has_z() && dim.z() == 0))
        c.fail(p + "." + d, "dimensions must be positive");
    }
    for (int k = 0; k < l.arg_size(); ++k) {
      const proto::Arg& a = l.arg(k);
      if (a.value_case() == proto::Arg::VALUE_NOT_SET) c.fail(join_path(p, "arg", k), "needs a value (buffer, u32, f32, ...)");
      if (a.has_buffer()) c.buffer_ref(join_path(p, "arg", k) + ".buffer", a.buffer());
    }
  }
}

void check_checks(Checker& c) {
  const proto::Workload& wl = c.lw.wl;
  for (int i = 0; i < wl.check_size(); ++i) {
    const proto::Check& ch = wl.check(i);
    const std::string p = join_path("", "check", i);
    c.buffer_ref(p + ".buffer", ch.buffer());
    if (ch.has_rtol() && !(ch.rtol() >= 0)) c.fail(p + ".rtol", "must be non-negative");
    if (ch.has_atol() && !(ch.atol() >= 0)) c.fail(p + ".atol", "must be non-negative");
    const proto::Reference& r = ch.reference();
    const std::string rp = p + ".reference";
    switch (r.kind_case()) {
      case proto::Reference::kGemm:
        c.buffer_ref(rp + ".gemm.a", r.gemm().a());
        c.buffer_ref(rp + ".gemm.b", r.gemm().b());
        if (!r.gemm().c().empty()) c.buffer_ref(rp + ".gemm.c", r.gemm().c());
        break;
      case proto::Reference::kElementwise:
        if (r.elementwise().expr().empty()) c.fail(rp + ".elementwise.expr", "needs an expression");
        break;
      case proto::Reference::kReduce: c.buffer_ref(rp + ".reduce.input", r.reduce().input()); break;
      case proto::Reference::kNpy: c.file_ref(rp + ".npy.path", r.npy().path()); break;
      case proto::Reference::KIND_NOT_SET: c.fail(rp, "required: gemm, elementwise, reduce or npy"); break;
    }
  }
}

}  // namespace

LoadedWorkload load_workload(const std::string& path) {
  LoadedWorkload lw;
  lw.path = path;
  lw.dir = fs::path(path).parent_path().string();
  load_with_base(path, &lw.wl, &lw.where);
  if (lw.wl.name().empty()) lw.wl.set_name(fs::path(path).stem().string());
  ErrorList errors;
  Checker c{lw, errors, {}};
  check_buffers(c);
  check_launches(c);
  check_checks(c);
  errors.throw_if_any();
  return lw;
}

}  // namespace xpusim::io
