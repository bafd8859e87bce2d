#include "file_harness.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

namespace plexus::test::file {

file_harness::file_harness(std::string config_json)
  : dir(make_temp_dir("file-engine"))
{
    auto st = start(std::move(config_json));
    if (!st.ok()) {
        FAIL("cannot start the file engine: " << st.to_string());
    }
}

file_harness::~file_harness()
{
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

sdk::status file_harness::start(std::string config_json)
{
    stop();
    auto config = storage::file::parse_config(config_json);
    if (!config) {
        return config.error();
    }
    sdk::storage_context ctx;
    ctx.data_dir = dir.string();
    ctx.log = &logger;
    ctx.blocking = &pool;
    auto engine = storage::file::file_engine::open(ctx, *config, hooks);
    if (!engine) {
        return engine.error();
    }
    _engine = std::move(*engine);
    return {};
}

void file_harness::stop()
{
    if (_engine) {
        shard.run_all();
        REQUIRE(_engine->close().ok());
        _engine.reset();
    }
}

std::unique_ptr<sdk::log> file_harness::open(const std::string& name)
{
    sdk::log_spec spec;
    spec.name = name;
    return open(std::move(spec));
}

std::unique_ptr<sdk::log> file_harness::open(sdk::log_spec spec)
{
    spec.owner = &shard;
    auto log = _engine->open_log(spec);
    if (!log) {
        FAIL("cannot open log " << spec.name << ": " << log.error().to_string());
    }
    return std::move(*log);
}

sdk::result<sdk::record_batch> file_harness::read(sdk::log& log, sdk::offset from, std::size_t max_bytes)
{
    std::optional<sdk::result<sdk::record_batch>> out;
    log.read(from, max_bytes, [&](sdk::result<sdk::record_batch> r) { out.emplace(std::move(r)); });
    shard.run_all();
    REQUIRE(out.has_value());
    return std::move(*out);
}

sdk::result<std::vector<std::string>> file_harness::read_bodies(sdk::log& log, sdk::offset from)
{
    std::vector<std::string> out;
    for (;;) {
        auto r = read(log, from);
        if (!r) {
            return r.error();
        }
        if (r->empty()) {
            return out;
        }
        for (const auto& m : r->records) {
            out.push_back(m->body.to_string());
        }
        from = r->last_offset() + 1;
    }
}

sdk::result<sdk::offset> file_harness::flush(sdk::log& log)
{
    std::optional<sdk::result<sdk::offset>> out;
    log.flush([&](sdk::result<sdk::offset> r) { out.emplace(std::move(r)); });
    shard.run_all();
    REQUIRE(out.has_value());
    return std::move(*out);
}

std::filesystem::path file_harness::log_dir(const std::string& name) const
{
    return dir / "logs" / storage::file::directory_name_of(name);
}

std::vector<std::filesystem::path> file_harness::segments(const std::string& name) const
{
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(log_dir(name))) {
        if (e.path().extension() == ".log") {
            out.push_back(e.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool file_harness::logged(std::string_view part) const
{
    for (const auto& line : logger.lines()) {
        if (line.find(part) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::string file_harness::log_text() const
{
    std::string out;
    for (const auto& line : logger.lines()) {
        out += line + "\n";
    }
    return out;
}

sdk::record_batch batch_of(int n, const std::string& prefix, int first, std::int64_t timestamp)
{
    sdk::record_batch b;
    for (int i = first; i < first + n; ++i) {
        auto m = std::make_shared<sdk::message>();
        m->routing_key = "k";
        m->timestamp = sdk::timestamp_ms(timestamp);
        m->body = sdk::buffer_chain::copy_of(prefix + std::to_string(i));
        b.records.push_back(std::move(m));
    }
    return b;
}

sdk::record_batch batch_at(std::int64_t base, int n, const std::string& prefix)
{
    auto b = batch_of(n, prefix, static_cast<int>(base));
    b.base_offset = sdk::offset{ base };
    return b;
}

std::vector<std::string> bodies_of(int first, int n, const std::string& prefix)
{
    std::vector<std::string> out;
    for (int i = first; i < first + n; ++i) {
        out.push_back(prefix + std::to_string(i));
    }
    return out;
}

void copy_tree(const std::filesystem::path& from, const std::filesystem::path& to)
{
    std::filesystem::remove_all(to);
    std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
    std::filesystem::remove(to / "LOCK");
}

void append_bytes(const std::filesystem::path& file, const std::string& bytes)
{
    std::ofstream f(file, std::ios::binary | std::ios::app);
    f << bytes;
}

} // namespace plexus::test::file
