// Tests for src/workload/reference and expr: GEMM against hand-computed results, the
// expression language (precedence, functions, where, errors with columns), reductions and
// compare() (metrics, tolerances, NaN/Inf, mismatch counting, messages).
#include "src/workload/reference.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "src/workload/expr.h"

namespace xpusim::workload {
namespace {

const SourceLoc kWhere{"job.textproto", 12, 5};
const double kNaN = std::numeric_limits<double>::quiet_NaN();

BufferData buf(const std::string& name, proto::DType t, std::vector<uint64_t> shape, const std::vector<double>& v,
               proto::Layout layout = proto::ROW_MAJOR) {
  BufferData b{.name = name, .dtype = t, .shape = std::move(shape), .layout = layout, .bytes = {}};
  b.bytes.assign(storage_bytes(t, b.elements()), 0);
  for (uint64_t i = 0; i < v.size(); ++i) b.set(i, v[i]);
  return b;
}

// x = [-2, -1, 0, 1, 2], y = 3 everywhere, w has 4 elements.
struct Env {
  BufferData x = buf("x", proto::FP64, {5}, {-2, -1, 0, 1, 2});
  BufferData y = buf("y", proto::FP32, {5}, {3, 3, 3, 3, 3});
  BufferData w = buf("w", proto::FP16, {2, 2}, {1, 2, 3, 4});
  std::map<std::string, const BufferData*> map() const { return {{"x", &x}, {"y", &y}, {"w", &w}}; }
  std::vector<double> eval(const std::string& e) const { return reference_elementwise(e, map(), kWhere); }
};

std::string error_of(const Env& env, const std::string& expr) {
  try {
    env.eval(expr);
  } catch (const InputErrors& e) {
    REQUIRE(e.errors().size() == 1);
    CHECK(e.errors()[0].loc.str() == "job.textproto:12:5");
    return e.errors()[0].message;
  }
  FAIL("expression accepted: " << expr);
  return {};
}

using V = std::vector<double>;

}  // namespace

TEST_CASE("workload: gemm reference with alpha, beta, C and a COL_MAJOR B", "[workload]") {
  const BufferData a = buf("a", proto::INT8, {2, 3}, {1, 2, 3, 4, 5, 6});
  const BufferData b = buf("b", proto::FP32, {3, 2}, {7, 8, 9, 10, 11, 12});
  const BufferData bt = buf("bt", proto::FP16, {3, 2}, {7, 8, 9, 10, 11, 12}, proto::COL_MAJOR);
  const BufferData c = buf("c", proto::FP32, {2, 2}, {1, 2, 3, 4});
  CHECK(reference_gemm(a, b, nullptr, 1.0, 0.0, kWhere) == V{58, 64, 139, 154});
  CHECK(reference_gemm(a, b, &c, 2.0, 0.5, kWhere) == V{116.5, 129, 279.5, 310});
  CHECK(reference_gemm(a, bt, &c, 2.0, 0.5, kWhere) == V{116.5, 129, 279.5, 310});
  const BufferData cn = buf("cn", proto::FP32, {2, 2}, {kNaN, kNaN, kNaN, kNaN});
  CHECK(reference_gemm(a, b, &cn, 1.0, 0.0, kWhere) == V{58, 64, 139, 154});  // beta 0: C unread
}

TEST_CASE("workload: gemm uses the stored (quantised) values in float64", "[workload]") {
  const BufferData a = buf("a", proto::FP16, {1, 2}, {0.1, 1.0 / 3});
  const BufferData b = buf("b", proto::FP8_E4M3, {2, 1}, {3, 1.1});
  // fp16(0.1) = 0.0999755859375, fp16(1/3) = 0.333251953125, e4m3(1.1) = 1.125
  CHECK(reference_gemm(a, b, nullptr, 1.0, 0.0, kWhere) == V{0.0999755859375 * 3 + 0.333251953125 * 1.125});
}

TEST_CASE("workload: gemm shape errors", "[workload]") {
  const BufferData a = buf("a", proto::FP32, {2, 3}, {});
  const BufferData b = buf("b", proto::FP32, {4, 2}, {});
  const BufferData v = buf("v", proto::FP32, {6}, {});
  const BufferData c = buf("c", proto::FP32, {2, 3}, {});
  CHECK_THROWS_WITH(reference_gemm(a, b, nullptr, 1, 0, kWhere), Catch::Contains("inner dimensions differ"));
  CHECK_THROWS_WITH(reference_gemm(v, b, nullptr, 1, 0, kWhere), Catch::Contains("A 'v' must be 2-D"));
  const BufferData b32 = buf("b", proto::FP32, {3, 2}, {});
  CHECK_THROWS_WITH(reference_gemm(a, b32, &c, 1, 1, kWhere), Catch::Contains("C 'c' must be [M, N] = [2, 2]"));
  CHECK_NOTHROW(reference_gemm(a, b32, nullptr, 1, 0, kWhere));
}

TEST_CASE("workload: expression precedence and associativity", "[workload]") {
  const Env env;
  CHECK(env.eval("1 + 2 * 3 - 4 / 2 + 0 * x") == V{5, 5, 5, 5, 5});
  CHECK(env.eval("2 - -x") == V{0, 1, 2, 3, 4});
  CHECK(env.eval("(1 + 2) * x") == V{-6, -3, 0, 3, 6});
  CHECK(env.eval("x - 1 - 1") == V{-4, -3, -2, -1, 0});
  CHECK(env.eval("x / 2 / 2") == V{-0.5, -0.25, 0, 0.25, 0.5});
  CHECK(env.eval("-x * y + 1") == V{7, 4, 1, -2, -5});
  CHECK(env.eval("1 + 1 == 2 + x") == V{0, 0, 1, 0, 0});
  CHECK(env.eval("x < 0 == 1") == V{1, 1, 0, 0, 0});
  CHECK(env.eval("x<=0") == V{1, 1, 1, 0, 0});
  CHECK(env.eval("x >= 1") == V{0, 0, 0, 1, 1});
  CHECK(env.eval("x != 0") == V{1, 1, 0, 1, 1});
  CHECK(env.eval("x > -1.5e0") == V{0, 1, 1, 1, 1});
  CHECK(env.eval(".5 * x") == V{-1, -0.5, 0, 0.5, 1});
}

TEST_CASE("workload: expression functions and where", "[workload]") {
  const Env env;
  CHECK(env.eval("where(x > 0, 2*x, -x)") == V{2, 1, 0, 2, 4});
  CHECK(env.eval("where(x, 1, 2)") == V{1, 1, 2, 1, 1});
  CHECK(env.eval("abs(x)") == V{2, 1, 0, 1, 2});
  CHECK(env.eval("exp2(x)") == V{0.25, 0.5, 1, 2, 4});
  CHECK(env.eval("exp(0 * x) + log(1 + 0 * x) + log2(8 + 0 * x)") == V{4, 4, 4, 4, 4});
  CHECK(env.eval("sqrt(y * 3) + rsqrt(4 + 0 * x)") == V{3.5, 3.5, 3.5, 3.5, 3.5});
  CHECK(env.eval("sin(0 * x) + cos(0 * x) + tanh(0 * x)") == V{1, 1, 1, 1, 1});
  CHECK(env.eval("floor(x / 2)") == V{-1, -1, 0, 0, 1});
  CHECK(env.eval("ceil(x / 2)") == V{-1, 0, 0, 1, 1});
  CHECK(env.eval("min(x, 0) + max(x, y)") == V{1, 2, 3, 3, 3});
  CHECK(env.eval("pow(x, 2)") == V{4, 1, 0, 1, 4});
  CHECK(env.eval("tanh(y)")[0] == std::tanh(3.0));
  const V n = env.eval("min(log(x), 5)");  // NaN propagates through min, as numpy's minimum
  CHECK(std::isnan(n[0]));
  CHECK(n[4] == std::log(2.0));
}

TEST_CASE("workload: expression errors give the column", "[workload]") {
  const Env env;
  CHECK_THAT(error_of(env, "x + "), Catch::Contains("column 5: unexpected end"));
  CHECK_THAT(error_of(env, "x + z"), Catch::Contains("column 5: unknown buffer 'z'"));
  CHECK_THAT(error_of(env, "2 * foo(x)"), Catch::Contains("column 5: unknown function 'foo'"));
  CHECK_THAT(error_of(env, "min(x)"), Catch::Contains("column 1: min() takes 2 arguments, got 1"));
  CHECK_THAT(error_of(env, "abs(x, y)"), Catch::Contains("abs() takes 1 argument, got 2"));
  CHECK_THAT(error_of(env, "where(x, 1)"), Catch::Contains("where() takes 3 arguments"));
  CHECK_THAT(error_of(env, "x $ 2"), Catch::Contains("column 3: unexpected character '$'"));
  CHECK_THAT(error_of(env, "(x + 1"), Catch::Contains("column 7: expected ')'"));
  CHECK_THAT(error_of(env, "x = 1"), Catch::Contains("column 3: unknown operator '='"));
  CHECK_THAT(error_of(env, "x 2"), Catch::Contains("column 3: unexpected '2'"));
  CHECK_THAT(error_of(env, "1.2.3 + x"), Catch::Contains("column 1: bad number '1.2.3'"));
  CHECK_THAT(error_of(env, ""), Catch::Contains("column 1"));
  CHECK_THAT(error_of(env, std::string(100, '(') + "x" + std::string(100, ')')), Catch::Contains("nested too deeply"));
  CHECK_THAT(error_of(env, "x + w"), Catch::Contains("'w' has 4") && Catch::Contains("'x' has 5 elements"));
  CHECK_THAT(error_of(env, "1 + 2"), Catch::Contains("reads no buffer"));
  CHECK(env.eval("w * 2") == V{2, 4, 6, 8});  // w's count differs, but only w is read
}

TEST_CASE("workload: expressions compile once to postfix code", "[workload]") {
  const Expr e = Expr::compile("where(a > b, a, b) * 2", {"a", "b", "c"}, kWhere);
  CHECK(e.used() == std::vector<uint32_t>{0, 1});
  CHECK(e.code().size() == 8);  // a b > a b where 2 *
  const double v1[] = {3, 5, 0}, v2[] = {7, 5, 0};
  CHECK(e.eval(v1) == 10);
  CHECK(e.eval(v2) == 14);
}

TEST_CASE("workload: reductions over all elements and along an axis", "[workload]") {
  const BufferData m = buf("m", proto::FP32, {2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK(reference_reduce(m, proto::SUM, 0, false, kWhere) == V{21});
  CHECK(reference_reduce(m, proto::MAX, 0, false, kWhere) == V{6});
  CHECK(reference_reduce(m, proto::MIN, 0, false, kWhere) == V{1});
  CHECK(reference_reduce(m, proto::SUM, 0, true, kWhere) == V{5, 7, 9});
  CHECK(reference_reduce(m, proto::SUM, 1, true, kWhere) == V{6, 15});
  CHECK(reference_reduce(m, proto::MAX, -1, true, kWhere) == V{3, 6});
  CHECK(reference_reduce(m, proto::MIN, -2, true, kWhere) == V{1, 2, 3});
  const BufferData mc = buf("mc", proto::INT16, {2, 3}, {1, 2, 3, 4, 5, 6}, proto::COL_MAJOR);
  CHECK(reference_reduce(mc, proto::SUM, 1, true, kWhere) == V{6, 15});
  const BufferData t = buf("t", proto::FP64, {2, 3, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(reference_reduce(t, proto::SUM, 1, true, kWhere) == V{6, 9, 24, 27});
  CHECK(reference_reduce(t, proto::MAX, 2, true, kWhere) == V{1, 3, 5, 7, 9, 11});
}

TEST_CASE("workload: reductions are compensated, propagate NaN, check the axis", "[workload]") {
  const BufferData c = buf("c", proto::FP64, {3}, {1e16, 1, -1e16});
  CHECK(reference_reduce(c, proto::SUM, 0, false, kWhere) == V{1});
  const BufferData n = buf("n", proto::FP32, {3}, {1, kNaN, 2});
  CHECK(std::isnan(reference_reduce(n, proto::MAX, 0, false, kWhere)[0]));
  CHECK(std::isnan(reference_reduce(n, proto::SUM, 0, false, kWhere)[0]));
  const BufferData m = buf("m", proto::FP32, {2, 3}, {});
  CHECK_THROWS_WITH(reference_reduce(m, proto::SUM, 2, true, kWhere), Catch::Contains("axis 2 is out of range"));
  CHECK_THROWS_WITH(reference_reduce(m, proto::SUM, -3, true, kWhere), Catch::Contains("axis -3"));
}

TEST_CASE("workload: compare normwise passes, fails and names the worst element", "[workload]") {
  const BufferData out = buf("o", proto::FP32, {2, 2}, {1, 2, 3, 4});
  const CheckOutcome ok = compare(out, {1, 2, 3, 4.00001}, proto::NORMWISE, 1e-5, 0, kWhere);
  CHECK(ok.passed);
  CHECK(ok.error == Approx(0.00001 / 4.00001));
  CHECK(ok.elements == 4);
  CHECK(ok.message.empty());

  const CheckOutcome bad = compare(out, {1, 2, 3, 5}, proto::NORMWISE, 0.1, 0, kWhere);
  CHECK_FALSE(bad.passed);
  CHECK(bad.error == Approx(0.2));
  CHECK(bad.mismatches == 1);
  CHECK_THAT(bad.message, Catch::Contains("o[1, 1]: got 4, expected 5"));

  // normwise tolerates a relatively large error on a small element
  const CheckOutcome loose = compare(out, {1, 2.5, 3, 4.5}, proto::NORMWISE, 0.15, 0, kWhere);
  CHECK(loose.passed);
  CHECK(loose.mismatches == 1);
  const BufferData zero = buf("z", proto::FP32, {2}, {0, 0});
  CHECK(compare(zero, {0, 0}, proto::NORMWISE, 0, 0, kWhere).passed);
  CHECK_FALSE(compare(zero, {0, 1e-30}, proto::NORMWISE, 0.5, 0, kWhere).passed);
}

TEST_CASE("workload: compare elementwise counts mismatches, first and worst", "[workload]") {
  const BufferData out = buf("o", proto::FP32, {4}, {1, 2, 3, 4});
  const CheckOutcome r = compare(out, {1, 2.5, 3, 4.5}, proto::ELEMENTWISE, 0.1, 0, kWhere);
  CHECK_FALSE(r.passed);
  CHECK(r.mismatches == 2);
  CHECK(r.error == Approx(2.0));  // 0.5 / (0.1 * 2.5)
  CHECK_THAT(r.message, Catch::Contains("2 of 4 elements mismatch, first o[1]: got 2, expected 2.5"));
  CHECK(compare(out, {1, 2.5, 3, 4.5}, proto::ELEMENTWISE, 0.2, 0, kWhere).passed);
}

TEST_CASE("workload: compare tolerance boundaries for rtol and atol", "[workload]") {
  const BufferData o = buf("o", proto::FP64, {1}, {101});
  CHECK(compare(o, {100}, proto::ELEMENTWISE, 0.01, 0, kWhere).passed);  // |d| == rtol*|r|
  const BufferData o2 = buf("o", proto::FP64, {1}, {101.0001});
  CHECK_FALSE(compare(o2, {100}, proto::ELEMENTWISE, 0.01, 0, kWhere).passed);
  const BufferData z = buf("z", proto::FP64, {1}, {1e-6});
  CHECK(compare(z, {0}, proto::ELEMENTWISE, 0.1, 1e-6, kWhere).passed);
  const CheckOutcome strict = compare(z, {0}, proto::ELEMENTWISE, 0.1, 0, kWhere);
  CHECK_FALSE(strict.passed);
  CHECK(std::isinf(strict.error));
  CHECK(compare(z, {0}, proto::NORMWISE, 0.1, 1e-6, kWhere).passed);  // atol widens normwise too
  const BufferData i = buf("i", proto::INT32, {2}, {7, -3});
  CHECK(compare(i, {7, -3}, proto::ELEMENTWISE, 0, 0, kWhere).passed);
  CHECK_FALSE(compare(i, {7, -2}, proto::ELEMENTWISE, 0, 0, kWhere).passed);
}

TEST_CASE("workload: compare never passes NaN or Inf", "[workload]") {
  BufferData out = buf("o", proto::FP32, {3}, {1, kNaN, 3});
  for (const auto metric : {proto::NORMWISE, proto::ELEMENTWISE}) {
    const CheckOutcome r = compare(out, {1, 2, 3}, metric, 1e9, 1e9, kWhere);
    CHECK_FALSE(r.passed);
    CHECK(r.nans == 1);
    CHECK_THAT(r.message, Catch::Contains("NaN/Inf") && Catch::Contains("o[1]: got nan, expected 2"));
  }
  out.bytes[4] = 0x00, out.bytes[5] = 0x00, out.bytes[6] = 0x80, out.bytes[7] = 0x7f;  // +Inf
  CHECK_FALSE(compare(out, {1, 2, 3}, proto::NORMWISE, 1e9, 1e9, kWhere).passed);
  const CheckOutcome ref_nan = compare(buf("f", proto::FP32, {2}, {1, 2}), {1, kNaN}, proto::NORMWISE, 1, 1, kWhere);
  CHECK_FALSE(ref_nan.passed);
  CHECK(ref_nan.nans == 0);
  CHECK_THAT(ref_nan.message, Catch::Contains("reference"));
}

TEST_CASE("workload: compare input errors and default tolerances", "[workload]") {
  const BufferData out = buf("o", proto::FP32, {3}, {1, 2, 3});
  CHECK_THROWS_WITH(compare(out, {1, 2}, proto::NORMWISE, 0.1, 0, kWhere),
                    Catch::Contains("3 elements, the reference 2"));
  CHECK_THROWS_AS(compare(out, {1, 2, 3}, proto::NORMWISE, -1, 0, kWhere), InputErrors);

  CHECK(default_rtol(proto::FP64) == 1e-12);
  CHECK(default_rtol(proto::FP32) == 1e-5);
  CHECK(default_rtol(proto::FP16) == 1e-2);
  for (const auto t : {proto::INT64, proto::INT32, proto::UINT32, proto::INT16, proto::UINT16, proto::INT8,
                       proto::UINT8, proto::INT4, proto::UINT4})
    CHECK(default_rtol(t) == 0);
  CHECK(default_rtol(proto::FP64) < default_rtol(proto::FP32));
  CHECK(default_rtol(proto::FP32) < default_rtol(proto::TF32));
  CHECK(default_rtol(proto::FP16) < default_rtol(proto::BF16));
  CHECK(default_rtol(proto::BF16) < default_rtol(proto::FP8_E4M3));
  CHECK(default_rtol(proto::FP8_E4M3) < default_rtol(proto::FP8_E5M2));
  CHECK(default_rtol(proto::FP6_E2M3) < default_rtol(proto::FP6_E3M2));
  CHECK(default_rtol(proto::FP8_E5M2) < default_rtol(proto::FP4_E2M1));
  // a correctly rounded fp16 result of a float64 value meets the fp16 default
  const BufferData h = buf("h", proto::FP16, {3}, {1.0 / 3, 2.0 / 3, 1e-3});
  CHECK(compare(h, {1.0 / 3, 2.0 / 3, 1e-3}, proto::ELEMENTWISE, default_rtol(proto::FP16), 0, kWhere).passed);
}

}  // namespace xpusim::workload
