#include "flopscope/report/table.h"

#include <gtest/gtest.h>

namespace flopscope {
namespace {

TEST(Table, AlignsTextLeftAndNumbersRight) {
  Table t({"name", "value"}, {false, true});
  t.add({"mlp", "1.2"});
  t.add({"attention", "10.25"});
  EXPECT_EQ(t.render(),
            "name       value\n"
            "----------------\n"
            "mlp          1.2\n"
            "attention  10.25\n");
}

TEST(Table, RulesAndUtf8Width) {
  Table t({"a", "b"});
  t.add({"µs", "x"});
  t.add_rule();
  t.add({"total", "y"});
  EXPECT_EQ(t.render(2), "  a      b\n  --------\n  µs     x\n  --------\n  total  y\n");
}

TEST(Fields, PadsKeys) { EXPECT_EQ(render_fields({{"a", "1"}, {"long", "2"}}), "a:    1\nlong: 2\n"); }

TEST(Table, BodyAlignsRowsWithoutHeaderOrRule) {
  Table t({"a long header", "x"}, {false, true});
  t.add({"params", "8"});
  t.add({"bytes", "16 GB"});
  EXPECT_EQ(t.render_body(2), "  params      8\n  bytes   16 GB\n");
}

}  // namespace
}  // namespace flopscope
