#include "flopscope/plan/rank.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <tuple>

#include "flopscope/util/units.h"

namespace flopscope {

Result<RankObjective> parse_rank_objective(std::string_view text, std::string_view field) {
  if (text == "time") return RankObjective::kTime;
  if (text == "cost") return RankObjective::kCost;
  if (text == "energy") return RankObjective::kEnergy;
  return bad_input(fmt::format("{}: expected time, cost or energy, got '{}'", field, text));
}

const char* rank_objective_name(RankObjective o) {
  switch (o) {
    case RankObjective::kTime: return "time";
    case RankObjective::kCost: return "cost";
    case RankObjective::kEnergy: return "energy";
  }
  return "?";
}

Result<double> parse_duration(std::string_view text, std::string_view field) {
  std::string s(text);
  double scale = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 's': scale = 1; s.pop_back(); break;
      case 'm': scale = 60; s.pop_back(); break;
      case 'h': scale = 3600; s.pop_back(); break;
      case 'd': scale = 86400; s.pop_back(); break;
      default: break;
    }
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v) || v <= 0) {
    return bad_input(fmt::format("{}: expected a positive duration such as 36h, 2d, 90m or 3600 (seconds), got '{}'",
                                 field, text));
  }
  return v * scale;
}

Result<Environment> scale_to_fit(const TransformerSpec& spec, const Job& job, const Environment& env,
                                 const std::vector<int64_t>& counts) {
  Environment out = env;
  for (int64_t n : counts) {
    out = env;
    out.devices = n;
    if (n > 1) out.name = fmt::format("{}-x{}", env.name, n);
    auto run = run_job(spec, job, out);
    if (!run) return run.error();
    if (run->fits) return out;
  }
  return out;
}

std::vector<size_t> pareto_front(const std::vector<std::pair<double, double>>& points) {
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) {
      if (j == i) continue;
      const auto& a = points[j];
      const auto& b = points[i];
      dominated = a.first <= b.first && a.second <= b.second && (a.first < b.first || a.second < b.second);
    }
    if (!dominated) front.push_back(i);
  }
  return front;
}

std::vector<RankEntry> rank_environments(const TransformerSpec& spec, const Job& job,
                                         const std::vector<Environment>& envs, const RankOptions& o) {
  std::vector<RankEntry> all;
  for (const Environment& env : envs) {
    RankEntry e;
    e.env = env.name;
    auto run = run_job(spec, job, env);
    if (!run) {
      e.reason = "cannot run: " + run.error().message;
    } else {
      e.ran = true;
      e.run = *run;
      if (!run->fits) {
        e.reason = run->fit_note;
      } else if (!run->has_price()) {
        e.reason = "no price (set usd_per_device_hour)";
      } else if (o.objective == RankObjective::kEnergy && !run->has_power()) {
        e.reason = "no power figure (set watts)";
      } else if (o.seconds_deadline && run->seconds > *o.seconds_deadline) {
        e.reason = "misses the deadline (" + format_seconds(run->seconds) + ")";
      } else if (o.usd_budget && run->usd > *o.usd_budget) {
        e.reason = "over the budget (" + format_usd(run->usd) + ")";
      } else {
        e.ranked = true;
      }
    }
    all.push_back(std::move(e));
  }
  auto key = [&](const JobRun& r) {
    switch (o.objective) {
      case RankObjective::kCost: return std::make_tuple(r.usd, r.seconds, r.joules);
      case RankObjective::kEnergy: return std::make_tuple(r.joules, r.seconds, r.usd);
      case RankObjective::kTime: break;
    }
    return std::make_tuple(r.seconds, r.usd, r.joules);
  };
  // Sort indices, not entries: ranked ones by the objective, then the rest in input order.
  std::vector<size_t> order(all.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (all[a].ranked != all[b].ranked) return all[a].ranked;
    return all[a].ranked && key(all[a].run) < key(all[b].run);
  });
  std::vector<RankEntry> sorted;
  std::vector<std::pair<double, double>> points;
  for (size_t i : order) {
    sorted.push_back(all[i]);
    if (sorted.back().ranked) {
      sorted.back().rank = static_cast<int>(sorted.size());
      points.push_back({sorted.back().run.seconds, sorted.back().run.usd});
    }
  }
  for (size_t i : pareto_front(points)) sorted[i].pareto = true;
  return sorted;
}

}  // namespace flopscope
