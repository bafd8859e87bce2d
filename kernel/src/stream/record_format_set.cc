#include "kernel/src/stream/record_format_set.h"

#include <algorithm>

namespace plexus::kernel {

record_format_set::record_format_set(const std::vector<const sdk::record_format*>& formats)
{
    for (const auto* f : formats) {
        _formats.emplace(std::string(f->name()), f); // the first plugin to name a format keeps it
    }
}

const sdk::record_format* record_format_set::find(std::string_view name) const noexcept
{
    auto it = _formats.find(name);
    return it == _formats.end() ? nullptr : it->second;
}

namespace {
sdk::status no_decoder(const sdk::encoded_records& e)
{
    return sdk::status(sdk::errc::not_supported,
                       "records in format '" + e.format + "' need a plugin that decodes them, and none is loaded");
}

/// What a format answered for `e`: its error as corruption, or a record count that differs
/// from the batch's.
template<class T>
sdk::result<std::vector<T>> checked(const sdk::encoded_records& e, sdk::result<std::vector<T>> r, std::string_view what)
{
    if (!r) {
        return sdk::status(sdk::errc::corruption,
                           "stored '" + e.format + "' records do not decode: " + std::string(r.error().message()));
    }
    if (r->size() != e.count) {
        return sdk::status(sdk::errc::corruption,
                           "stored '" + e.format + "' records decode to " + std::to_string(r->size()) + " " +
                             std::string(what) + " where the batch holds " + std::to_string(e.count));
    }
    return r;
}
} // namespace

sdk::result<std::vector<sdk::message_ptr>> record_format_set::decode(const sdk::encoded_records& e,
                                                                     std::string_view routing_key) const noexcept
{
    const auto* format = find(e.format);
    if (format == nullptr) {
        return no_decoder(e);
    }
    return checked(e, format->decode(e.bytes, routing_key), "messages");
}

sdk::result<std::vector<sdk::record_format::record_key>> record_format_set::keys(
  const sdk::encoded_records& e) const noexcept
{
    const auto* format = find(e.format);
    if (format == nullptr) {
        return no_decoder(e);
    }
    return checked(e, format->keys(e.bytes), "keys");
}

sdk::result<std::vector<sdk::record_batch>> record_format_set::retain(const sdk::encoded_records& e,
                                                                      sdk::offset base,
                                                                      const std::vector<bool>& keep) const noexcept
{
    const auto* format = find(e.format);
    if (format == nullptr) {
        return no_decoder(e);
    }
    auto r = format->retain(e.bytes, base, keep);
    if (!r) {
        return sdk::status(sdk::errc::corruption,
                           "stored '" + e.format + "' records do not re-encode: " + std::string(r.error().message()));
    }
    return r;
}

sdk::result<sdk::record_batch> record_format_set::as_messages(sdk::record_batch batch,
                                                              sdk::offset from,
                                                              std::string_view routing_key) const noexcept
{
    if (!batch.encoded) {
        return batch;
    }
    auto messages = decode(*batch.encoded, routing_key);
    if (!messages) {
        return messages.error();
    }
    const auto skip = static_cast<std::size_t>(
      std::clamp<std::int64_t>(from - batch.base_offset, 0, static_cast<std::int64_t>(messages->size())));
    sdk::record_batch out;
    out.base_offset = batch.base_offset + static_cast<std::int64_t>(skip);
    out.records.assign(std::make_move_iterator(messages->begin() + static_cast<std::ptrdiff_t>(skip)),
                       std::make_move_iterator(messages->end()));
    return out;
}

} // namespace plexus::kernel
