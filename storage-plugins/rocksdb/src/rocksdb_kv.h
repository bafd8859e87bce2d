// The RocksDB engine's metadata store: the `metadata` column family. get() and scan() read
// inline (any thread; RocksDB is thread-safe). apply() writes one WriteBatch (atomic, the last
// write of a key wins as the writes apply in order) and calls `done` once it is durable: after
// a group-committed WAL sync on a pool thread (fsync always or batch), or inline (fsync none).
#pragma once

#include "database.h"

#include "plexus/sdk/storage.h"

#include <memory>

namespace plexus::storage::rocks {

class rocksdb_kv final : public sdk::kv_store
{
  public:
    explicit rocksdb_kv(std::shared_ptr<database> db) noexcept
      : _db(std::move(db))
    {
    }
    ~rocksdb_kv() = default;
    rocksdb_kv(const rocksdb_kv&) = delete;
    rocksdb_kv& operator=(const rocksdb_kv&) = delete;

    sdk::result<std::optional<std::string>> get(std::string_view key) noexcept override;
    sdk::result<std::vector<std::pair<std::string, std::string>>> scan(std::string_view prefix) noexcept override;
    void apply(std::vector<write> writes, sdk::callback<void(sdk::status)> done) noexcept override;

  private:
    std::shared_ptr<database> _db;
};

} // namespace plexus::storage::rocks
