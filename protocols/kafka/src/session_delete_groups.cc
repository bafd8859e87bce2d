// DeleteGroups: a group without members loses its committed offsets (the kernel's
// delete_group_offsets). A group with members is NON_EMPTY_GROUP, one with neither members nor
// offsets GROUP_ID_NOT_FOUND, as Kafka answers. The member check and the deletion are two
// steps: a member that joins in between keeps going, and its later commits are kept.
#include "error_code.h"
#include "generated/delete_groups.h"
#include "session.h"

namespace plexus::protocol::kafka {

sdk::status session::on_delete_groups(const request_context& ctx, std::string_view body)
{
    generated::delete_groups_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a DeleteGroups request is truncated or malformed");
    }
    auto response = std::make_shared<generated::delete_groups_response>();
    auto left = std::make_shared<std::size_t>(1);
    auto finish = [this, ctx, response, left] {
        if (--*left == 0) {
            respond(ctx, *response, generated::delete_groups_request::flexible(ctx.api_version));
        }
    };
    response->results.resize(request.groups_names.size());
    for (std::size_t i = 0; i < request.groups_names.size(); ++i) {
        auto* out = &response->results[i];
        out->group_id = request.groups_names[i];
        if (out->group_id.empty()) {
            out->error_code = wire(error_code::invalid_group_id);
            continue;
        }
        if (!_groups.describe(out->group_id).members.empty()) {
            out->error_code = wire(error_code::non_empty_group);
            continue;
        }
        ++*left;
        _kernel.delete_group_offsets(
          _config.vhost,
          out->group_id,
          [this, alive = _alive, out, finish](sdk::result<std::uint64_t> deleted) mutable {
              if (!*alive) {
                  return;
              }
              if (!deleted && deleted.error().code() != sdk::errc::not_found) {
                  out->error_code = wire(to_error_code(deleted.error()));
              } else if (!deleted || *deleted == 0) {
                  out->error_code = wire(error_code::group_id_not_found);
              } else {
                  PLEXUS_LOG(_log, info, "kafka: deleted group '{}' ({} committed offsets)", out->group_id, *deleted);
              }
              finish();
          });
    }
    finish();
    return {};
}

} // namespace plexus::protocol::kafka
