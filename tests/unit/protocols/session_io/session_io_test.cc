// session_io: one write per input pass, posted flushes between passes, closes deferred to the
// end of a pass, held input kept in order and bounded, exceptions turned into statuses.
#include "session_io.h"

#include "plexus/sdk/testing/fake_connection.h"
#include "plexus/sdk/testing/fake_executor.h"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

using namespace plexus;
using plexus::protocol::input_hold_limit;
using plexus::protocol::session_io;

namespace {

/// Lines in, "ok:<line>" out. The words close, hold and throw do what they say.
struct line_session
{
    explicit line_session(input_hold_limit limit = { 64, "too much held input" })
      : io(conn, alive, { [this](sdk::buffer_chain& in) { return process(in); }, [this] { flush(); } }, limit)
    {
    }

    sdk::status process(sdk::buffer_chain& in)
    {
        while (!io.holding() && !io.close_requested()) {
            std::string text = in.to_string();
            auto end = text.find('\n');
            if (end == std::string::npos) {
                break;
            }
            std::string line = text.substr(0, end);
            in.trim_front(end + 1);
            if (line == "throw") {
                throw std::runtime_error("line parser broke");
            }
            out += "ok:" + line + "\n";
            if (line == "close") {
                io.close_transport(sdk::status(sdk::errc::unavailable, "client said close"));
            } else if (line == "hold") {
                io.hold(true);
            }
        }
        io.keep_if_holding(in);
        return {};
    }

    void flush()
    {
        if (!out.empty()) {
            ++writes;
            conn.write(sdk::buffer_chain::copy_of(std::exchange(out, {})));
        }
    }

    sdk::status feed(std::string_view bytes)
    {
        pending.append(sdk::buffer_chain::copy_of(bytes));
        return io.on_data(pending, "line session");
    }

    sdk::testing::fake_executor exec;
    sdk::testing::fake_connection conn{ exec };
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
    std::string out;
    int writes = 0;
    sdk::buffer_chain pending; ///< what the kernel would keep between on_data calls
    session_io io;
};

} // namespace

TEST_CASE("a pass answers every whole frame with one write and keeps a partial tail", "[session_io]")
{
    line_session s;
    REQUIRE(s.feed("a\nb\nc\npart").ok());
    CHECK(s.writes == 1);
    CHECK(s.conn.take_written() == "ok:a\nok:b\nok:c\n");
    CHECK(s.pending.to_string() == "part");
    REQUIRE(s.feed("ial\n").ok());
    CHECK(s.conn.take_written() == "ok:partial\n");
    CHECK(s.writes == 2);
}

TEST_CASE("output between passes goes out in one posted flush", "[session_io]")
{
    line_session s;
    s.out += "x\n";
    s.io.schedule_flush();
    s.out += "y\n";
    s.io.schedule_flush();
    CHECK(s.conn.written().empty());
    CHECK(s.exec.run_all() == 1);
    CHECK(s.writes == 1);
    CHECK(s.conn.take_written() == "x\ny\n");
}

TEST_CASE("no posted flush runs after the session is gone", "[session_io]")
{
    line_session s;
    s.out += "late\n";
    s.io.schedule_flush();
    *s.alive = false;
    s.exec.run_all();
    CHECK(s.conn.written().empty());
}

TEST_CASE("a close asked for in a pass ends the pass after the frames before it are answered", "[session_io]")
{
    line_session s;
    auto st = s.feed("a\nclose\nnever\n");
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == sdk::errc::unavailable);
    CHECK(st.message() == "client said close");
    CHECK(s.conn.take_written() == "ok:a\nok:close\n");
    CHECK_FALSE(s.conn.closed().has_value()); // on_data's status is the kernel's to act on
    CHECK_FALSE(s.io.close_requested());
}

TEST_CASE("a close outside a pass flushes, then closes from a posted task", "[session_io]")
{
    line_session s;
    s.out += "bye\n";
    s.io.close_transport(sdk::status(sdk::errc::timed_out, "idle"), false);
    CHECK(s.conn.take_written() == "bye\n");
    CHECK_FALSE(s.conn.closed().has_value());
    s.exec.run_all();
    REQUIRE(s.conn.closed().has_value());
    CHECK(s.conn.closed()->code() == sdk::errc::timed_out);
    CHECK_FALSE(s.conn.flushed_on_close());
}

TEST_CASE("held input waits, in order, until it is released", "[session_io]")
{
    line_session s;
    REQUIRE(s.feed("a\nhold\nb\n").ok());
    CHECK(s.conn.take_written() == "ok:a\nok:hold\n");
    CHECK(s.pending.empty()); // taken into the held input
    REQUIRE(s.feed("c\n").ok());
    CHECK(s.conn.written().empty());
    s.io.hold(false);
    CHECK(s.conn.take_written() == "ok:b\nok:c\n");
    REQUIRE(s.feed("d\n").ok());
    CHECK(s.conn.take_written() == "ok:d\n");
}

TEST_CASE("held input past its bound fails the pass with the refusal", "[session_io]")
{
    line_session s({ 8, "too much input before login" });
    REQUIRE(s.feed("hold\n").ok());
    REQUIRE(s.feed("1234\n").ok());
    auto st = s.feed("5678\n");
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == sdk::errc::resource_exhausted);
    CHECK(st.message() == "too much input before login");
}

TEST_CASE("a release that fails closes the connection", "[session_io]")
{
    line_session s;
    REQUIRE(s.feed("hold\nclose\n").ok());
    s.conn.take_written();
    s.io.hold(false);
    CHECK(s.conn.take_written() == "ok:close\n");
    s.exec.run_all();
    REQUIRE(s.conn.closed().has_value());
    CHECK(s.conn.closed()->message() == "client said close");
}

TEST_CASE("run_pass refuses inside a pass and runs outside one", "[session_io]")
{
    line_session s;
    bool inner = true;
    s.out += "x\n";
    CHECK(s.io.run_pass([&] {
        inner = s.io.run_pass([] { return sdk::status(); });
        s.out += "y\n";
        return sdk::status();
    }));
    CHECK_FALSE(inner);
    CHECK(s.writes == 1);
    CHECK(s.conn.take_written() == "x\ny\n");
}

TEST_CASE("an exception in a pass becomes an internal error naming the session", "[session_io]")
{
    line_session s;
    auto st = s.feed("a\nthrow\n");
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == sdk::errc::internal);
    CHECK(st.message() == "line session: line parser broke");
    CHECK_FALSE(s.io.in_pass());
}
