#include "flopscope/hw/power.h"

#include <fmt/format.h>

#include <algorithm>

#include "flopscope/data/embedded.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {

std::string_view power_knowledge_text(PowerKnowledge k) {
  switch (k) {
    case PowerKnowledge::kIdleToBoard: return "idle to board power by utilization";
    case PowerKnowledge::kBoardOnly: return "board power throughout (no idle figure): an upper bound";
    case PowerKnowledge::kUnknown: return "not known (no board power in the catalog)";
    case PowerKnowledge::kCount: break;
  }
  return "?";
}

double PowerModel::watts_at(double u) const {
  u = std::clamp(u, 0.0, 1.0);
  switch (knowledge) {
    case PowerKnowledge::kIdleToBoard: return watts_idle + (watts_board - watts_idle) * u;
    case PowerKnowledge::kBoardOnly: return watts_board;
    default: return 0;
  }
}

Result<PowerCatalog> PowerCatalog::parse(std::string_view toml, std::string_view origin) {
  auto doc = parse_toml(toml, origin);
  if (!doc) return doc.error();
  const TomlReader root(origin);
  if (auto e = root.check_keys(*doc, {"pue", "power"})) return *e;
  PowerCatalog c;
  const toml::table* pue = nullptr;
  if (auto e = root.sub_table(*doc, "pue", pue)) return *e;
  if (!pue) return root.at("pue", "missing, expected a [pue] table with the default PUE and its sources");
  const TomlReader pr = root.nested("pue");
  if (auto e = pr.check_keys(*pue, {"default", "summary", "sources"})) return *e;
  std::string summary;
  if (auto e = pr.read(*pue, "summary", summary)) return *e;
  double value = 0;
  if (auto e = pr.read(*pue, "default", Sign::kPositive, value)) return *e;
  if (value < 1 || value > 10) return pr.at("default", fmt::format("expected a number in [1, 10], got {}", value));
  std::vector<SourceRef> pue_sources;
  if (const toml::node* n = pue->get("sources")) {
    if (auto st = read_sources(*n, origin, "pue.sources", pue_sources); !st) return st.error();
  }
  if (pue_sources.empty()) return pr.at("sources", "missing, expected at least one source for the default PUE");
  c.pue_.value = value;
  c.pue_.source = !summary.empty() ? summary : pue_sources.front().what + " (" + pue_sources.front().date + ")";

  const toml::table* power = nullptr;
  if (auto e = root.sub_table(*doc, "power", power)) return *e;
  if (!power) return c;
  for (const auto& [key, node] : *power) {
    std::string id(key.str());
    std::string where = "power." + id;
    const TomlReader r(origin, where);
    const toml::table* t = node.as_table();
    if (!t) return root.expected(where, "a table", node);
    if (auto e = r.check_keys(*t, {"idle_w", "board_w", "assumption", "notes", "sources"})) return *e;
    Entry en;
    en.id = id;
    std::optional<double> idle;
    if (auto e = r.read(*t, "idle_w", Sign::kNonNegative, idle)) return *e;
    if (!idle) return r.at("idle_w", "missing, expected the idle watts");
    en.watts_idle = *idle;
    if (auto e = r.read(*t, "board_w", Sign::kPositive, en.watts_board)) return *e;
    if (auto e = r.read(*t, "assumption", en.assumption)) return *e;
    std::string notes;
    if (auto e = r.read(*t, "notes", notes)) return *e;
    if (const toml::node* n = t->get("sources")) {
      if (auto st = read_sources(*n, origin, where + ".sources", en.sources); !st) return st.error();
    }
    if (en.sources.empty()) return r.at("sources", "missing, expected at least one source");
    if (en.watts_board > 0 && en.watts_idle > en.watts_board) {
      return r.at("idle_w", fmt::format("expected at most board_w ({}), got {}", en.watts_board, en.watts_idle));
    }
    c.entries_.push_back(std::move(en));
  }
  return c;
}

const PowerCatalog& PowerCatalog::builtin() {
  static const PowerCatalog catalog = data::parse_embedded("hardware/power.toml", &PowerCatalog::parse);
  return catalog;
}

PowerModel PowerCatalog::model_of(const Hardware& hw) const { return model_of(hw, 0, 0); }

PowerModel PowerCatalog::model_of(const Hardware& hw, double watts_board_given, double watts_idle_given) const {
  PowerModel m;
  m.hardware_id = hw.id;
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.id == hw.id; });
  double board = watts_board_given > 0 ? watts_board_given
                 : it != entries_.end() && it->watts_board > 0 ? it->watts_board
                                                               : hw.watts_tdp;
  if (!(board > 0)) return m;  // kUnknown
  m.watts_board = board;
  if (watts_idle_given > 0) {
    m.knowledge = PowerKnowledge::kIdleToBoard;
    m.watts_idle = std::min(watts_idle_given, board);
    return m;
  }
  if (it == entries_.end()) {
    m.knowledge = PowerKnowledge::kBoardOnly;
    return m;
  }
  m.knowledge = PowerKnowledge::kIdleToBoard;
  m.watts_idle = std::min(it->watts_idle, board);
  m.assumption = it->assumption;
  m.sources = it->sources;
  return m;
}

std::optional<double> energy_joules(const PowerModel& model, double devices, double seconds, double u, double pue) {
  if (!model.known()) return std::nullopt;
  return devices * model.watts_at(u) * seconds * pue;
}

}  // namespace flopscope
