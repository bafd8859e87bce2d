#include "owner_link.h"

namespace plexus::protocol::mqtt {

owner_link::owner_link(std::function<void()> take_over, std::shared_ptr<bool> alive, sdk::executor& home)
  : _take_over(std::move(take_over))
  , _alive(std::move(alive))
  , _home(&home)
{
}

void owner_link::taken_over(sdk::executor& on) noexcept
{
    try {
        {
            std::lock_guard lock(_mutex);
            if (_home == nullptr) {
                _kicked = true;
                return;
            }
            if (_home != &on) {
                auto* home = _home;
                home->post([self = weak_from_this(), home] {
                    if (auto link = self.lock()) {
                        link->taken_over(*home);
                    }
                });
                return;
            }
        }
        // On the session's shard, which only this thread can move it from.
        if (*_alive) {
            _take_over();
        }
    } catch (const std::exception&) {
        // Out of memory posting: the new connection holds the session anyway; this one ends
        // with its client's next close.
    }
}

void owner_link::leave()
{
    std::lock_guard lock(_mutex);
    _home = nullptr;
}

bool owner_link::arrive(sdk::executor& home)
{
    std::lock_guard lock(_mutex);
    _home = &home;
    return std::exchange(_kicked, false);
}

} // namespace plexus::protocol::mqtt
