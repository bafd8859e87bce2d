#include "kernel/src/plugin/loader.h"

#include "plexus/sdk/fingerprint.h"
#include "plexus/sdk/plugin.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstring>
#include <filesystem>

namespace plexus::kernel {
namespace {

using sdk::errc;

sdk::status refuse(const std::string& path, std::string_view cause)
{
    return sdk::status(errc::invalid_argument, one_line(fmt::format("plugin file {}: {}", path, cause)));
}

// Opens the library and checks the descriptor; every failure closes the handle again (nothing
// from the library has run except its static initialisers and the entry function).
sdk::result<loaded_plugin> open_and_check(const std::string& path)
{
    ::dlerror();
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        return refuse(path, fmt::format("dlopen failed: {}", why ? why : "unknown error"));
    }
    auto close_and_refuse = [&](std::string_view cause) -> sdk::result<loaded_plugin> {
        ::dlclose(handle);
        return refuse(path, cause);
    };
    void* sym = ::dlsym(handle, PLEXUS_PLUGIN_ENTRY);
    if (sym == nullptr) {
        return close_and_refuse("no " PLEXUS_PLUGIN_ENTRY " symbol (not a Plexus plugin)");
    }
    auto entry = reinterpret_cast<plexus_plugin_entry_fn>(sym);
    const plexus_plugin_descriptor* d = entry();
    if (d == nullptr) {
        return close_and_refuse(PLEXUS_PLUGIN_ENTRY " returned no descriptor");
    }
    if (d->abi_major != PLEXUS_ABI_MAJOR) {
        return close_and_refuse(
          fmt::format("ABI major version {} but this plexusd speaks {}", d->abi_major, PLEXUS_ABI_MAJOR));
    }
    if (d->abi_minor > PLEXUS_ABI_MINOR) {
        return close_and_refuse(fmt::format("needs ABI {}.{} but this plexusd provides {}.{} "
                                            "(upgrade plexusd)",
                                            d->abi_major,
                                            d->abi_minor,
                                            PLEXUS_ABI_MAJOR,
                                            PLEXUS_ABI_MINOR));
    }
    if (d->struct_size < sizeof(plexus_plugin_descriptor)) {
        return close_and_refuse(fmt::format(
          "descriptor of {} bytes, expected at least {}", d->struct_size, sizeof(plexus_plugin_descriptor)));
    }
    if (d->name == nullptr || d->plugin_version == nullptr || d->build_fingerprint == nullptr ||
        d->create_factory == nullptr || d->destroy_factory == nullptr) {
        return close_and_refuse("descriptor has a null name, version, fingerprint or factory function");
    }
    if (std::strcmp(d->build_fingerprint, sdk::build_fingerprint) != 0) {
        return close_and_refuse(fmt::format("build fingerprint mismatch (plugin '{}', plexusd '{}'): "
                                            "rebuild the plugin with this plexusd's toolchain and SDK",
                                            d->build_fingerprint,
                                            sdk::build_fingerprint));
    }
    return loaded_plugin{ path, d, nullptr, handle };
}

} // namespace

std::string one_line(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u == '\n') {
            out += "\\n";
        } else if (u < 0x20 || u == 0x7f) {
            out += fmt::format("\\x{:02x}", u);
        } else {
            out += c;
        }
    }
    return out;
}

std::string plugin_file_name(plexus_kind kind, std::string_view name)
{
    return fmt::format("libplexus_{}_{}.so", sdk::kinds::name_of(kind), name);
}

sdk::result<loaded_plugin> inspect_plugin_file(const std::string& path)
{
    return open_and_check(path);
}

sdk::result<loaded_plugin> load_plugin_file(const std::string& path, plexus_kind kind, std::string_view name)
{
    auto checked = open_and_check(path);
    if (!checked) {
        return checked;
    }
    loaded_plugin p = std::move(*checked);
    const plexus_plugin_descriptor* d = p.descriptor;
    // Until create_factory() runs nothing of the plugin but its entry function has been called,
    // so a refused library can still be unmapped; afterwards it stays mapped until exit.
    // The cause is formatted before dlclose(): `d` points into the library.
    if (d->kind != kind) {
        std::string cause = fmt::format(
          "is a {} plugin, the config uses it as {}", sdk::kinds::name_of(d->kind), sdk::kinds::name_of(kind));
        ::dlclose(p.handle);
        return refuse(path, cause);
    }
    if (name != d->name) {
        std::string cause = fmt::format("names itself '{}', the config asked for '{}'", d->name, name);
        ::dlclose(p.handle);
        return refuse(path, cause);
    }
    p.factory = d->create_factory();
    if (p.factory == nullptr) {
        return refuse(path,
                      "create_factory() failed (the factory constructor threw or ran out "
                      "of memory)");
    }
    return p;
}

sdk::result<loaded_plugin> load_plugin(const std::vector<std::string>& dirs, plexus_kind kind, std::string_view name)
{
    const std::string file = plugin_file_name(kind, name);
    std::string tried;
    for (const auto& dir : dirs) {
        std::string candidate = (std::filesystem::path(dir) / file).string();
        std::error_code ec;
        if (std::filesystem::exists(candidate, ec)) {
            return load_plugin_file(candidate, kind, name);
        }
        if (!tried.empty()) {
            tried += ", ";
        }
        tried += candidate;
    }
    if (tried.empty()) {
        tried = "(no plugin_dirs configured)";
    }
    return sdk::status(
      errc::not_found,
      one_line(fmt::format("{} plugin '{}' not found; tried: {}", sdk::kinds::name_of(kind), name, tried)));
}

} // namespace plexus::kernel
