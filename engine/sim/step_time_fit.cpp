#include "engine/sim/step_time_fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "common/error.hpp"

namespace tpbench {
namespace {

constexpr int kMaxKnots = 4;
constexpr int64_t kMinRows = 20;

std::vector<double> features(const StepShape& s, const std::vector<double>& knots) {
  const double tokens = static_cast<double>(s.tokens);
  std::vector<double> x{1.0, static_cast<double>(s.seqs), tokens};
  for (double k : knots) x.push_back(std::max(0.0, tokens - k));
  x.push_back(static_cast<double>(s.context_tokens));
  return x;
}

// Solves (A + ridge) x = b in place by Gaussian elimination with partial pivoting.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r)
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    std::swap(a[col], a[pivot]);
    std::swap(b[col], b[pivot]);
    for (size_t r = col + 1; r < n; ++r) {
      const double f = a[r][col] / a[col][col];
      for (size_t c = col; c < n; ++c) a[r][c] -= f * a[col][c];
      b[r] -= f * b[col];
    }
  }
  std::vector<double> x(n);
  for (size_t i = n; i-- > 0;) {
    double sum = b[i];
    for (size_t c = i + 1; c < n; ++c) sum -= a[i][c] * x[c];
    x[i] = sum / a[i][i];
  }
  return x;
}

}  // namespace

double StepTimeFit::predict_ns(const StepShape& shape) const {
  const std::vector<double> x = features(shape, knots);
  double t = 0;
  for (size_t i = 0; i < x.size(); ++i) t += coef[i] * x[i];
  return std::max(0.0, t);
}

std::string StepTimeFit::describe() const {
  std::string knot_list;
  for (double k : knots) {
    if (!knot_list.empty()) knot_list += ' ';
    knot_list += std::to_string(std::lround(k));
  }
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "fitted to %lld steps: %.0f us + %.2f us/seq + %.3f us/token (slope changes at "
                "tokens %s) + %.3g us/context token; median |error| %.1f %%",
                static_cast<long long>(rows), coef[0] * 1e-3, coef[1] * 1e-3, coef[2] * 1e-3,
                knot_list.c_str(), coef.back() * 1e-3, median_abs_rel_error * 100);
  return buf;
}

StepTimeFit fit_step_time(const std::vector<StepProfileRow>& rows, const std::string& source) {
  if (static_cast<int64_t>(rows.size()) < kMinRows)
    throw InputError(source + ": " + std::to_string(rows.size()) + " steps; at least " +
                     std::to_string(kMinRows) + " are needed to fit");
  StepTimeFit fit;
  fit.rows = static_cast<int64_t>(rows.size());
  int64_t lo = rows[0].shape.tokens, hi = lo;
  for (const auto& r : rows) {
    lo = std::min(lo, r.shape.tokens);
    hi = std::max(hi, r.shape.tokens);
  }
  // Geometric knots inside (lo, hi). A knot is kept only when enough steps lie beyond it and
  // enough lie between it and the previous knot at other token counts than the segment's most
  // common one (decode steps pile up at the batch size): a slope fixed by a handful of noisy
  // steps would mispredict every batch size between them.
  const int64_t min_rows = std::max<int64_t>(kMinRows, fit.rows / 20);
  double prev = static_cast<double>(lo) - 1;
  for (int j = 1; j <= kMaxKnots; ++j) {
    const double k = lo * std::pow(static_cast<double>(hi) / lo, j / (kMaxKnots + 1.0));
    std::map<int64_t, int64_t> segment;
    int64_t beyond = 0;
    for (const auto& r : rows) {
      const double t = static_cast<double>(r.shape.tokens);
      if (t > k)
        ++beyond;
      else if (t > prev)
        ++segment[r.shape.tokens];
    }
    int64_t in_segment = 0, most = 0;
    for (const auto& [tokens, n] : segment) {
      in_segment += n;
      most = std::max(most, n);
    }
    if (beyond >= min_rows && in_segment - most >= min_rows) {
      fit.knots.push_back(k);
      prev = k;
    }
  }

  // Weighted least squares, weights 1 / t (a step's noise grows with its length), so the few
  // long prefills do not drown the many short decode steps that set TPOT. Normal equations on
  // columns scaled to [0, 1], with a tiny ridge against collinear columns (decode-only profiles
  // have tokens == seqs).
  const size_t p = features(rows[0].shape, fit.knots).size();
  std::vector<double> scale(p, 0.0);
  for (const auto& r : rows) {
    const auto x = features(r.shape, fit.knots);
    for (size_t i = 0; i < p; ++i) scale[i] = std::max(scale[i], std::abs(x[i]));
  }
  for (double& s : scale) s = s > 0 ? s : 1.0;
  std::vector<std::vector<double>> ata(p, std::vector<double>(p, 0.0));
  std::vector<double> atb(p, 0.0);
  for (const auto& r : rows) {
    const double t = static_cast<double>(std::max<int64_t>(r.forward_ns, 1000));
    const double w = 1.0 / t;
    auto x = features(r.shape, fit.knots);
    for (size_t i = 0; i < p; ++i) x[i] /= scale[i];
    for (size_t i = 0; i < p; ++i) {
      atb[i] += w * x[i] * t;
      for (size_t j = 0; j < p; ++j) ata[i][j] += w * x[i] * x[j];
    }
  }
  double trace = 0;
  for (size_t i = 0; i < p; ++i) trace += ata[i][i];
  for (size_t i = 0; i < p; ++i) ata[i][i] += 1e-9 * trace / p;
  fit.coef = solve(ata, atb);
  for (size_t i = 0; i < p; ++i) fit.coef[i] /= scale[i];

  // The weights pull the fit below the heavy tail of slow steps; scale it so that it spends
  // the profile's total time (what throughput depends on).
  double predicted = 0, measured = 0;
  for (const auto& r : rows) {
    predicted += fit.predict_ns(r.shape);
    measured += static_cast<double>(r.forward_ns);
  }
  if (predicted > 0)
    for (double& c : fit.coef) c *= measured / predicted;

  std::vector<double> errors;
  for (const auto& r : rows) {
    const double t = fit.predict_ns(r.shape);
    if (r.forward_ns > 0)
      errors.push_back(std::abs(t - static_cast<double>(r.forward_ns)) /
                       static_cast<double>(r.forward_ns));
  }
  if (!errors.empty()) {
    std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());
    fit.median_abs_rel_error = errors[errors.size() / 2];
  }
  return fit;
}

}  // namespace tpbench
