#include "rocksdb_test_support.h"

#include "support/storage_doubles.h"

#include "key_codec.h"
#include "rocksdb_config.h"
#include "rocksdb_options.h"

#include <catch2/catch.hpp>

#include <random>
#include <system_error>

namespace plexus::test::rocks {

// ---- pools ---------------------------------------------------------------------------------

void manual_pool::submit(sdk::callback<void()> work) noexcept
{
    std::lock_guard lock(_mutex);
    _jobs.push_back(std::move(work));
}

bool manual_pool::run_one()
{
    sdk::callback<void()> job;
    {
        std::lock_guard lock(_mutex);
        if (_jobs.empty()) {
            return false;
        }
        job = std::move(_jobs.front());
        _jobs.pop_front();
    }
    job();
    return true;
}

std::size_t manual_pool::run_all()
{
    std::size_t n = 0;
    while (run_one()) {
        ++n;
    }
    return n;
}

std::size_t manual_pool::pending() const
{
    std::lock_guard lock(_mutex);
    return _jobs.size();
}

thread_pool::thread_pool()
  : _worker([this] {
      for (;;) {
          sdk::callback<void()> job;
          {
              std::unique_lock lock(_mutex);
              _cv.wait(lock, [this] { return _stopping || !_jobs.empty(); });
              if (_jobs.empty()) {
                  return;
              }
              job = std::move(_jobs.front());
              _jobs.pop_front();
          }
          job();
      }
  })
{
}

thread_pool::~thread_pool()
{
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
    }
    _cv.notify_all();
    _worker.join();
}

void thread_pool::submit(sdk::callback<void()> work) noexcept
{
    {
        std::lock_guard lock(_mutex);
        _jobs.push_back(std::move(work));
    }
    _cv.notify_one();
}

// ---- temp_dir ------------------------------------------------------------------------------

temp_dir::temp_dir()
{
    std::random_device rd;
    std::mt19937_64 gen(rd());
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto dir = std::filesystem::temp_directory_path() / ("plexus-rocksdb-test-" + std::to_string(gen()));
        std::error_code ec;
        if (std::filesystem::create_directory(dir, ec)) {
            _path = dir;
            return;
        }
    }
    FAIL("could not create a temporary directory");
}

temp_dir::~temp_dir()
{
    std::error_code ec;
    std::filesystem::remove_all(_path, ec);
}

// ---- faulty_fs -----------------------------------------------------------------------------

namespace {

class faulty_file final : public rocksdb::FSWritableFileOwnerWrapper
{
  public:
    faulty_file(std::unique_ptr<rocksdb::FSWritableFile> file, faulty_fs& fs)
      : FSWritableFileOwnerWrapper(std::move(file))
      , _fs(fs)
    {
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override
    {
        if (_fs.disk_full) {
            return rocksdb::IOStatus::NoSpace("test: the disk is full");
        }
        return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override
    {
        if (_fs.disk_full) {
            return rocksdb::IOStatus::NoSpace("test: the disk is full");
        }
        return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override
    {
        if (_fs.sync_fails) {
            return rocksdb::IOStatus::IOError("test: sync failed");
        }
        return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override
    {
        if (_fs.sync_fails) {
            return rocksdb::IOStatus::IOError("test: sync failed");
        }
        return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }

  private:
    faulty_fs& _fs;
};

} // namespace

faulty_fs::faulty_fs()
  : FileSystemWrapper(rocksdb::FileSystem::Default())
{
}

rocksdb::IOStatus faulty_fs::NewWritableFile(const std::string& name,
                                             const rocksdb::FileOptions& options,
                                             std::unique_ptr<rocksdb::FSWritableFile>* result,
                                             rocksdb::IODebugContext* dbg)
{
    auto s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok()) {
        *result = std::make_unique<faulty_file>(std::move(*result), *this);
    }
    return s;
}

rocksdb::IOStatus faulty_fs::ReopenWritableFile(const std::string& name,
                                                const rocksdb::FileOptions& options,
                                                std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                rocksdb::IODebugContext* dbg)
{
    auto s = target()->ReopenWritableFile(name, options, result, dbg);
    if (s.ok()) {
        *result = std::make_unique<faulty_file>(std::move(*result), *this);
    }
    return s;
}

faulty_env::faulty_env()
  : fs(std::make_shared<faulty_fs>())
  , env(rocksdb::NewCompositeEnv(fs))
{
}

// ---- messages ------------------------------------------------------------------------------

sdk::message_ptr make_message(const std::string& body, std::int64_t ts)
{
    auto m = std::make_shared<sdk::message>();
    m->exchange = "x";
    m->routing_key = "k";
    m->timestamp = sdk::timestamp_ms(ts);
    m->body = sdk::buffer_chain::copy_of(body);
    return m;
}

sdk::record_batch batch_of(int n, const std::string& prefix, int first, std::int64_t ts)
{
    sdk::record_batch b;
    for (int i = first; i < first + n; ++i) {
        b.records.push_back(make_message(prefix + std::to_string(i), ts));
    }
    return b;
}

std::vector<std::string> bodies(const sdk::record_batch& b)
{
    std::vector<std::string> out;
    for (const auto& m : b.records) {
        out.push_back(m->body.to_string());
    }
    return out;
}

sdk::record_batch encoded_of(std::uint32_t count, std::size_t size, std::int64_t max_ts, char fill)
{
    sdk::encoded_records e;
    e.format = "test.v1";
    e.bytes = sdk::buffer_chain::copy_of(std::string(size, fill));
    e.count = count;
    e.max_timestamp = sdk::timestamp_ms(max_ts);
    e.offset_slots.push_back({ 0, 0 });
    sdk::record_batch b;
    b.encoded = std::move(e);
    return b;
}

// ---- the database underneath ---------------------------------------------------------------

const rocksdb::Slice format_key(storage::rocks::storage_format_key.data(), storage::rocks::storage_format_key.size());

void change_database(const std::filesystem::path& dir,
                     const std::function<void(rocksdb::DB&, std::vector<rocksdb::ColumnFamilyHandle*>&)>& change)
{
    auto options = storage::rocks::make_database_options(*storage::rocks::parse_config("{}"));
    REQUIRE(options.ok());
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> families;
    auto s = rocksdb::DB::Open(options->db, dir.string(), options->families, &families, &raw);
    REQUIRE(s.ok());
    change(*raw, families);
    for (auto* cf : families) {
        REQUIRE(raw->DestroyColumnFamilyHandle(cf).ok());
    }
    REQUIRE(raw->Close().ok());
    delete raw;
}

std::string marker_of(const std::filesystem::path& dir)
{
    std::string marker;
    change_database(dir, [&](rocksdb::DB& db, auto& families) {
        REQUIRE(db.Get(rocksdb::ReadOptions(), families[0], format_key, &marker).ok());
    });
    return marker;
}

// ---- engine_harness ------------------------------------------------------------------------

engine_harness::engine_harness(std::string config_json, rocksdb::Env* env)
  : _config_json(std::move(config_json))
  , _env(env)
{
    open();
}

engine_harness::~engine_harness()
{
    close();
}

void engine_harness::open()
{
    auto config = storage::rocks::parse_config(_config_json);
    REQUIRE(config.ok());
    sdk::storage_context ctx;
    ctx.data_dir = _dir.path().string();
    ctx.blocking = &_pool;
    auto engine = storage::rocks::rocksdb_engine::open(ctx, *config, _env);
    if (!engine) {
        FAIL("cannot open the rocksdb engine: " << engine.error().to_string());
    }
    _engine = std::move(*engine);
}

void engine_harness::close()
{
    if (_engine) {
        // close() waits for the pool jobs: run them first, as a live pool would.
        _pool.run_all();
        _shard.run_all();
        auto st = _engine->close();
        if (_close_must_succeed) {
            CHECK(st.ok());
        }
        _engine.reset();
        _shard.run_all();
    }
}

void engine_harness::restart()
{
    close();
    open();
}

std::unique_ptr<sdk::log> engine_harness::open_log(const std::string& name)
{
    sdk::log_spec spec;
    spec.name = name;
    return open_log(std::move(spec));
}

std::unique_ptr<sdk::log> engine_harness::open_log(sdk::log_spec spec)
{
    spec.owner = &_shard;
    auto log = _engine->open_log(spec);
    if (!log) {
        FAIL("open_log('" << spec.name << "') failed: " << log.error().to_string());
    }
    return std::move(*log);
}

namespace {

template<class T, class Start>
T await(engine_harness& h, Start start)
{
    std::optional<T> slot;
    int calls = 0;
    start([&](T v) {
        ++calls;
        slot.emplace(std::move(v));
    });
    REQUIRE(h.drive([&] { return slot.has_value(); }));
    h.pool().run_all();
    h.shard().run_all();
    REQUIRE(calls == 1);
    return std::move(*slot);
}

} // namespace

sdk::result<sdk::record_batch> engine_harness::read(sdk::log& log, sdk::offset from, std::size_t max_bytes)
{
    return await<sdk::result<sdk::record_batch>>(*this, [&](auto done) { log.read(from, max_bytes, std::move(done)); });
}

sdk::result<sdk::record_batch> engine_harness::read_all(sdk::log& log, sdk::offset from)
{
    auto all =
      plexus::test::read_to_end([&](sdk::offset at, std::size_t max_bytes) { return read(log, at, max_bytes); }, from);
    INFO((all.ok() ? std::string() : all.error().to_string()));
    REQUIRE((all.ok() || all.error().code() != sdk::errc::internal)); // a broken engine, or offsets that are not dense
    return all;
}

sdk::result<sdk::offset> engine_harness::flush(sdk::log& log)
{
    return await<sdk::result<sdk::offset>>(*this, [&](auto done) { log.flush(std::move(done)); });
}

sdk::result<sdk::offset> engine_harness::offset_for_timestamp(sdk::log& log, std::int64_t ts)
{
    return await<sdk::result<sdk::offset>>(
      *this, [&](auto done) { log.offset_for_timestamp(sdk::timestamp_ms(ts), std::move(done)); });
}

void engine_harness::check_offset_for_timestamp(sdk::log& log, std::int64_t ts, std::int64_t want)
{
    INFO("ts " << ts);
    auto r = offset_for_timestamp(log, ts);
    REQUIRE(r.ok());
    CHECK(*r == sdk::offset{ want });
}

sdk::status engine_harness::apply(std::vector<sdk::kv_store::write> writes)
{
    return await<sdk::status>(*this, [&](auto done) { _engine->metadata().apply(std::move(writes), std::move(done)); });
}

} // namespace plexus::test::rocks
