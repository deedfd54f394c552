#include "flopscope/plan/energy.h"

#include <fmt/format.h>

#include <algorithm>

namespace flopscope {

double seconds_busy(const Prediction& p) {
  const auto& b = p.timing.seconds_by_bound;
  return b[static_cast<size_t>(Bound::kCompute)] + b[static_cast<size_t>(Bound::kMemory)];
}

double busy_fraction(const Prediction& p) {
  double total = 0;
  for (double s : p.timing.seconds_by_bound) total += s;
  if (!(total > 0)) return 0;
  return std::clamp(seconds_busy(p) / total, 0.0, 1.0);
}

std::optional<double> EnergyEstimate::joules_per(double tokens) const {
  if (!joules || !(tokens > 0)) return std::nullopt;
  return *joules / tokens;
}

std::optional<double> EnergyEstimate::kwh_per_million(double tokens) const {
  auto j = joules_per(tokens);
  if (!j) return std::nullopt;
  return *j * 1e6 / kJoulesPerKwh;
}

EnergyEstimate estimate_energy(const PowerModel& model, const Pue& pue, double devices, double seconds,
                               double seconds_busy) {
  EnergyEstimate e;
  e.knowledge = model.knowledge;
  e.utilization = seconds > 0 ? std::clamp(seconds_busy / seconds, 0.0, 1.0) : 0;
  e.watts_idle = model.knowledge == PowerKnowledge::kIdleToBoard ? model.watts_idle : 0;
  e.watts_board = model.watts_board;
  e.watts = model.watts_at(e.utilization);
  e.pue = pue.value;
  e.pue_source = pue.source;
  e.assumption = model.assumption;
  e.joules = energy_joules(model, devices, seconds, e.utilization, pue.value);
  return e;
}

Status validate_pue(double pue, std::string_view field) {
  if (pue == 0) return {};
  if (!(pue >= 1 && pue <= 10)) return bad_input(fmt::format("{}: expected a number in [1, 10], got {}", field, pue));
  return {};
}

std::string describe_power(const PowerModel& m, const Pue& pue) {
  std::string p = fmt::format("PUE {:g} ({})", pue.value, pue.source);
  switch (m.knowledge) {
    case PowerKnowledge::kIdleToBoard:
      return fmt::format("idle {:g} W to board {:g} W by utilization{}; {}", m.watts_idle, m.watts_board,
                         m.assumption.empty() ? "" : " (idle: an assumption, see data/hardware/power.toml)", p);
    case PowerKnowledge::kBoardOnly:
      return fmt::format("board {:g} W throughout (no idle figure): an upper bound; {}", m.watts_board, p);
    default:
      return fmt::format("not known: no board power for '{}' in the catalog", m.hardware_id);
  }
}

nlohmann::json power_json(const PowerModel& m, const Pue& pue) {
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& s : m.sources) sources.push_back({{"what", s.what}, {"url", s.url}, {"date", s.date}});
  auto watts = [&](double w, bool known) { return known ? nlohmann::json(w) : nlohmann::json(nullptr); };
  return {{"model", power_knowledge_text(m.knowledge)},
          {"watts_idle", watts(m.watts_idle, m.knowledge == PowerKnowledge::kIdleToBoard)},
          {"watts_board", watts(m.watts_board, m.known())},
          {"assumption", m.assumption.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.assumption)},
          {"sources", sources},
          {"pue", pue.value},
          {"pue_source", pue.source}};
}

nlohmann::json energy_json(const EnergyEstimate& e, double tokens) {
  auto opt = [](std::optional<double> v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json j = {{"power_model", power_knowledge_text(e.knowledge)},
                      {"utilization", e.utilization},
                      {"watts_per_device", e.known() ? nlohmann::json(e.watts) : nlohmann::json(nullptr)},
                      {"pue", e.pue},
                      {"joules", opt(e.joules)},
                      {"kwh", e.joules ? nlohmann::json(*e.joules / kJoulesPerKwh) : nlohmann::json(nullptr)}};
  if (tokens > 0) {
    j["joules_per_token"] = opt(e.joules_per(tokens));
    j["kwh_per_million_tokens"] = opt(e.kwh_per_million(tokens));
  }
  return j;
}

}  // namespace flopscope
