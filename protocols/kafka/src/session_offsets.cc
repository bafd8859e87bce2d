// OffsetCommit and OffsetFetch: a group's committed offsets are the kernel's (commit_offset /
// committed_offset), so they survive restarts with the engine's metadata. The commit metadata
// string has no place in the kernel and is answered empty.
#include "error_code.h"
#include "generated/offset_commit.h"
#include "generated/offset_fetch.h"
#include "session.h"

namespace plexus::protocol::kafka {

sdk::status session::on_offset_commit(const request_context& ctx, std::string_view body)
{
    generated::offset_commit_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("an OffsetCommit request is truncated or malformed");
    }
    auto response = std::make_shared<generated::offset_commit_response>();
    std::int16_t refused = _groups.check_commit(
      request.group_id, ctx.api_version >= 1 ? request.generation_id_or_member_epoch : -1, request.member_id);
    auto left = std::make_shared<std::size_t>(1);
    auto finish = [this, ctx, response, left] {
        if (--*left == 0) {
            respond(ctx, *response, generated::offset_commit_request::flexible(ctx.api_version));
        }
    };
    response->topics.resize(request.topics.size());
    for (std::size_t t = 0; t < request.topics.size(); ++t) {
        const auto& topic = request.topics[t];
        response->topics[t].name = topic.name;
        // Sized first: the callbacks below keep pointers into it.
        response->topics[t].partitions.reserve(topic.partitions.size());
        for (const auto& p : topic.partitions) {
            response->topics[t].partitions.push_back({ p.partition_index, refused });
            if (refused != 0) {
                continue;
            }
            auto* out = &response->topics[t].partitions.back().error_code;
            ++*left;
            _kernel.commit_offset(_config.vhost,
                                  request.group_id,
                                  topic.name,
                                  sdk::partition_id(p.partition_index),
                                  sdk::offset(p.committed_offset),
                                  [alive = _alive, out, finish](sdk::status st) mutable {
                                      if (!*alive) {
                                          return;
                                      }
                                      *out = wire(to_error_code(st));
                                      finish();
                                  });
        }
    }
    finish();
    return {};
}

sdk::status session::on_offset_fetch(const request_context& ctx, std::string_view body)
{
    generated::offset_fetch_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("an OffsetFetch request is truncated or malformed");
    }
    auto response = std::make_shared<generated::offset_fetch_response>();
    auto left = std::make_shared<std::size_t>(1);
    auto finish = [this, ctx, response, left] {
        if (--*left == 0) {
            respond(ctx, *response, generated::offset_fetch_request::flexible(ctx.api_version));
        }
    };
    // Null topics (v2+) asks for every partition the group committed: the kernel cannot list
    // them, so the answer is empty and clients fall back to their reset policy.
    if (request.topics) {
        response->topics.resize(request.topics->size());
        for (std::size_t t = 0; t < request.topics->size(); ++t) {
            const auto& topic = (*request.topics)[t];
            auto& out_topic = response->topics[t];
            out_topic.name = topic.name;
            out_topic.partitions.resize(topic.partition_indexes.size());
            for (std::size_t p = 0; p < topic.partition_indexes.size(); ++p) {
                auto* out = &out_topic.partitions[p];
                out->partition_index = topic.partition_indexes[p];
                out->committed_offset = -1;
                out->metadata = std::string();
                ++*left;
                _kernel.committed_offset(
                  _config.vhost,
                  request.group_id,
                  topic.name,
                  sdk::partition_id(out->partition_index),
                  [alive = _alive, out, finish](sdk::result<std::optional<sdk::offset>> got) mutable {
                      if (!*alive) {
                          return;
                      }
                      if (!got) {
                          out->error_code = wire(to_error_code(got.error()));
                      } else if (*got) {
                          out->committed_offset = (**got)();
                      }
                      finish();
                  });
            }
        }
    }
    finish();
    return {};
}

} // namespace plexus::protocol::kafka
