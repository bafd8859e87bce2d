#include "rocksdb_kv.h"

#include "status_mapping.h"

#include <new>

namespace plexus::storage::rocks {

namespace {

sdk::status closed_status()
{
    return sdk::status(sdk::errc::unavailable, "the rocksdb engine is closed");
}

/// The smallest key above every key that starts with `prefix`; empty when there is none (a
/// prefix of only 0xff bytes, or the empty prefix).
std::string prefix_end(std::string_view prefix)
{
    std::string end(prefix);
    while (!end.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(end.back());
        if (last != 0xff) {
            ++last;
            return end;
        }
        end.pop_back();
    }
    return end;
}

} // namespace

sdk::result<std::optional<std::string>> rocksdb_kv::get(std::string_view key) noexcept
{
    try {
        if (_db->closing()) {
            return closed_status();
        }
        std::string value;
        auto s = _db->db().Get(rocksdb::ReadOptions(), _db->metadata(), rocksdb::Slice(key.data(), key.size()), &value);
        if (s.IsNotFound()) {
            return std::optional<std::string>();
        }
        if (!s.ok()) {
            return to_status(s, "reading metadata");
        }
        return std::optional<std::string>(std::move(value));
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading metadata");
    }
}

sdk::result<std::vector<std::pair<std::string, std::string>>> rocksdb_kv::scan(std::string_view prefix) noexcept
{
    try {
        if (_db->closing()) {
            return closed_status();
        }
        const std::string end = prefix_end(prefix);
        const rocksdb::Slice lower(prefix.data(), prefix.size());
        const rocksdb::Slice upper(end);
        rocksdb::ReadOptions options;
        options.iterate_lower_bound = &lower;
        if (!end.empty()) {
            options.iterate_upper_bound = &upper;
        }
        std::unique_ptr<rocksdb::Iterator> it(_db->db().NewIterator(options, _db->metadata()));
        std::vector<std::pair<std::string, std::string>> out;
        for (it->Seek(lower); it->Valid(); it->Next()) {
            out.emplace_back(it->key().ToString(), it->value().ToString());
        }
        if (!it->status().ok()) {
            return to_status(it->status(), "scanning metadata");
        }
        return out;
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory scanning metadata");
    }
}

void rocksdb_kv::apply(std::vector<write> writes, sdk::callback<void(sdk::status)> done) noexcept
{
    sdk::status st;
    try {
        rocksdb::WriteBatch wb;
        rocksdb::Status s;
        for (const auto& w : writes) {
            const rocksdb::Slice key(w.key);
            s = w.value ? wb.Put(_db->metadata(), key, *w.value) : wb.Delete(_db->metadata(), key);
            if (!s.ok()) {
                break;
            }
        }
        st = s.ok() ? _db->write(wb, "writing metadata") : to_status(s, "staging metadata writes");
    } catch (const std::bad_alloc&) {
        st = sdk::status(sdk::errc::resource_exhausted, "out of memory writing metadata");
    } catch (...) {
        st = sdk::status(sdk::errc::internal, "writing metadata failed");
    }
    if (!done) {
        return; // nobody waits; the next sync covers the batch
    }
    if (!st.ok() || _db->config().fsync == fsync_policy::none || writes.empty()) {
        done(std::move(st));
        return;
    }
    _db->sync_wal(std::move(done));
}

} // namespace plexus::storage::rocks
