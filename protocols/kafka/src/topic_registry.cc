#include "topic_registry.h"

namespace plexus::protocol::kafka {

void topic_registry::add(const std::string& topic)
{
    std::lock_guard lock(_mutex);
    _topics.insert(topic);
}

void topic_registry::remove(const std::string& topic)
{
    std::lock_guard lock(_mutex);
    _topics.erase(topic);
}

std::vector<std::string> topic_registry::names() const
{
    std::lock_guard lock(_mutex);
    return { _topics.begin(), _topics.end() };
}

} // namespace plexus::protocol::kafka
