// PostgreSQL-only behaviour: the URL, its password in messages, connection errors. The
// tests both back ends share are TEST_Ps in store_test.cc, import_test.cc and report_test.cc.
#include "flopscope/ledger/postgres_ledger.h"

#include <gtest/gtest.h>

#include "flopscope/ledger/open_ledger.h"

namespace flopscope {
namespace {

TEST(PostgresUrl, BothPrefixesPickPostgres) {
  EXPECT_TRUE(is_postgres_url("postgresql://db/ledger"));
  EXPECT_TRUE(is_postgres_url("postgres://db/ledger"));
  EXPECT_FALSE(is_postgres_url("spend.db"));
  EXPECT_FALSE(is_postgres_url("postgresql.db"));
  EXPECT_FALSE(is_postgres_url("/data/postgres://x"));
}

TEST(PostgresUrl, PasswordsAreTakenOutOfMessages) {
  EXPECT_EQ(redact_postgres_url("postgresql://ann:s3cret@db.internal:5433/ledger"), "postgresql://ann@db.internal:5433/ledger");
  EXPECT_EQ(redact_postgres_url("postgres://ann:p%40ss@db/ledger?sslmode=require"), "postgres://ann@db/ledger?sslmode=require");
  EXPECT_EQ(redact_postgres_url("postgresql://db/ledger?user=ann&password=s3cret&sslmode=require"),
            "postgresql://db/ledger?user=ann&sslmode=require");
  EXPECT_EQ(redact_postgres_url("postgresql://db/ledger?password=s3cret"), "postgresql://db/ledger");
  EXPECT_EQ(redact_postgres_url("postgresql://ann@db/ledger"), "postgresql://ann@db/ledger");
  EXPECT_EQ(redact_postgres_url("postgresql:///ledger?host=/run/pg"), "postgresql:///ledger?host=/run/pg");
  EXPECT_EQ(ledger_display_name("spend:db@x.db"), "spend:db@x.db");  // a file path is left alone
}

TEST(PostgresLedgerOpen, MalformedUrlIsBadInputWithoutThePassword) {
  auto db = open_ledger("postgresql://ann:s3cret@db.internal/ledger?colour=blue");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(db.error().message,
            "postgresql://ann@db.internal/ledger?colour=blue: not a PostgreSQL URL: invalid URI query parameter: "
            "\"colour\"");
}

TEST(PostgresLedgerOpen, UnreachableServerIsAFailureOnOneLine) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  auto db = open_ledger("postgresql://ann:s3cret@127.0.0.1:1/ledger?connect_timeout=5");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::kFailure);
  const std::string& m = db.error().message;
  EXPECT_EQ(m.rfind("postgresql://ann@127.0.0.1:1/ledger?connect_timeout=5: cannot connect: ", 0), 0u) << m;
  EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

}  // namespace
}  // namespace flopscope
