// The power model (hw/power.h) and its data file (data/hardware/power.toml).
#include "flopscope/hw/power.h"

#include <gtest/gtest.h>

#include <string>

namespace flopscope {
namespace {

Hardware device(const char* id, double tdp) {
  Hardware hw;
  hw.id = id;
  hw.watts_tdp = tdp;
  return hw;
}

std::string parse_error(const std::string& toml) {
  auto r = PowerCatalog::parse(toml, "power.toml");
  EXPECT_FALSE(r.ok()) << "parsed: " << toml;
  return r.ok() ? "" : r.error().message;
}

const char* kPue = "[pue]\ndefault = 1.5\n[[pue.sources]]\nwhat = \"survey\"\nurl = \"u\"\ndate = \"2023\"\n";

TEST(PowerModel, InterpolatesFromIdleToBoardByUtilization) {
  PowerModel m;
  m.knowledge = PowerKnowledge::kIdleToBoard;
  m.watts_idle = 100;
  m.watts_board = 700;
  EXPECT_DOUBLE_EQ(m.watts_at(0), 100);     // the idle floor
  EXPECT_DOUBLE_EQ(m.watts_at(0.5), 400);
  EXPECT_DOUBLE_EQ(m.watts_at(1), 700);
  EXPECT_DOUBLE_EQ(m.watts_at(-3), 100);    // clamped
  EXPECT_DOUBLE_EQ(m.watts_at(7), 700);
}

TEST(PowerModel, BoardOnlyChargesBoardPowerAtAnyUtilization) {
  PowerModel m;
  m.knowledge = PowerKnowledge::kBoardOnly;
  m.watts_board = 300;
  EXPECT_DOUBLE_EQ(m.watts_at(0), 300);
  EXPECT_DOUBLE_EQ(m.watts_at(0.2), 300);
}

TEST(EnergyJoules, ScalesWithTimeDevicesAndPue) {
  PowerModel m;
  m.knowledge = PowerKnowledge::kIdleToBoard;
  m.watts_idle = 142.5;
  m.watts_board = 700;
  const double one = *energy_joules(m, 1, 10, 0.5, 1.0);
  EXPECT_DOUBLE_EQ(one, (142.5 + 557.5 * 0.5) * 10);
  EXPECT_DOUBLE_EQ(*energy_joules(m, 1, 20, 0.5, 1.0), 2 * one);    // time
  EXPECT_DOUBLE_EQ(*energy_joules(m, 8, 10, 0.5, 1.0), 8 * one);    // devices
  EXPECT_DOUBLE_EQ(*energy_joules(m, 1, 10, 0.5, 1.58), 1.58 * one);  // PUE
  // The header's example: 8 H100 half busy for an hour at PUE 1.58.
  EXPECT_NEAR(*energy_joules(m, 8, 3600, 0.5, 1.58), 19.2e6, 0.05e6);
  // Idle floor: a device with nothing to do still draws idle power.
  EXPECT_DOUBLE_EQ(*energy_joules(m, 1, 10, 0, 1.0), 1425);
}

TEST(EnergyJoules, UnknownPowerIsNotKnownRatherThanZero) {
  PowerModel m;  // kUnknown
  EXPECT_FALSE(energy_joules(m, 1, 10, 0.5, 1.0).has_value());
  const PowerModel none = PowerCatalog::builtin().model_of(device("mystery", 0));
  EXPECT_EQ(none.knowledge, PowerKnowledge::kUnknown);
  EXPECT_FALSE(none.known());
  EXPECT_EQ(power_knowledge_text(none.knowledge), "not known (no board power in the catalog)");
}

TEST(PowerCatalog, EmbeddedFileHasSourcedFiguresAndDefaultPue) {
  const PowerCatalog& c = PowerCatalog::builtin();
  EXPECT_DOUBLE_EQ(c.default_pue().value, 1.58);  // Uptime Institute, 2023
  EXPECT_NE(c.default_pue().source.find("Uptime Institute"), std::string::npos);
  const PowerModel h100 = c.model_of(device("h100-sxm", 700));
  EXPECT_EQ(h100.knowledge, PowerKnowledge::kIdleToBoard);
  EXPECT_DOUBLE_EQ(h100.watts_idle, 142.5);
  EXPECT_DOUBLE_EQ(h100.watts_board, 700);
  EXPECT_FALSE(h100.sources.empty());
  EXPECT_TRUE(h100.assumption.empty());
  // The H200's idle figure is not a measurement of an H200, and says so.
  const PowerModel h200 = c.model_of(device("h200", 700));
  EXPECT_FALSE(h200.assumption.empty());
}

TEST(PowerCatalog, DeviceWithoutIdleFigureIsBoardOnly) {
  const PowerModel m = PowerCatalog::builtin().model_of(device("t4", 70));
  EXPECT_EQ(m.knowledge, PowerKnowledge::kBoardOnly);
  EXPECT_DOUBLE_EQ(m.watts_at(0), 70);
}

TEST(PowerCatalog, GivenWattsOverrideBoardAndIdle) {
  const PowerCatalog& c = PowerCatalog::builtin();
  const PowerModel m = c.model_of(device("h100-sxm", 700), 500, 0);
  EXPECT_DOUBLE_EQ(m.watts_board, 500);
  EXPECT_DOUBLE_EQ(m.watts_idle, 142.5);
  const PowerModel both = c.model_of(device("t4", 70), 60, 20);
  EXPECT_EQ(both.knowledge, PowerKnowledge::kIdleToBoard);
  EXPECT_DOUBLE_EQ(both.watts_at(0.5), 40);
  // An idle figure above the board power is clamped to it.
  EXPECT_DOUBLE_EQ(c.model_of(device("h100-sxm", 700), 100, 0).watts_idle, 100);
}

TEST(PowerCatalog, ParsesAnEntry) {
  auto c = PowerCatalog::parse(std::string(kPue) +
                                   "[power.x]\nidle_w = 50\nboard_w = 400\n[[power.x.sources]]\nwhat = \"w\"\nurl = \"u\"\ndate = \"d\"\n",
                               "power.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_DOUBLE_EQ(c->default_pue().value, 1.5);
  const PowerModel m = c->model_of(device("x", 700));  // board_w overrides the catalog TDP
  EXPECT_DOUBLE_EQ(m.watts_board, 400);
  EXPECT_DOUBLE_EQ(m.watts_idle, 50);
}

TEST(PowerCatalog, Errors) {
  EXPECT_EQ(parse_error("[power.x]\nidle_w = 1\n"),
            "power.toml: pue: missing, expected a [pue] table with the default PUE and its sources");
  EXPECT_EQ(parse_error("[pue]\ndefault = 0.9\n"), "power.toml: pue.default: expected a number in [1, 10], got 0.9");
  EXPECT_EQ(parse_error("[pue]\ndefault = 1.2\n"),
            "power.toml: pue.sources: missing, expected at least one source for the default PUE");
  EXPECT_EQ(parse_error(std::string(kPue) + "[power.x]\nidle_w = -3\n"),
            "power.toml: power.x.idle_w: expected a non-negative number, got -3");
  EXPECT_EQ(parse_error(std::string(kPue) + "[power.x]\nidle_w = 3\n"),
            "power.toml: power.x.sources: missing, expected at least one source");
  EXPECT_EQ(parse_error(std::string(kPue) + "[power.x]\nidel_w = 3\n"),
            "power.toml: power.x: unknown field 'idel_w', did you mean 'idle_w'?");
}

}  // namespace
}  // namespace flopscope
