/* CLAP finds a plugin through the data symbol clap_entry (clap/entry.h): NativeAOT exports only
   functions, so this object holds the struct and points it at the library's C# exports. */
#include <stdbool.h>
#include <stdint.h>

extern bool losses_clap_init(const char *plugin_path);
extern void losses_clap_deinit(void);
extern const void *losses_clap_get_factory(const char *factory_id);

typedef struct { uint32_t major, minor, revision; } clap_version_t;
typedef struct {
    clap_version_t clap_version;
    bool (*init)(const char *plugin_path);
    void (*deinit)(void);
    const void *(*get_factory)(const char *factory_id);
} clap_plugin_entry_t;

__attribute__((visibility("default"))) const clap_plugin_entry_t clap_entry = {
    {1, 2, 2}, losses_clap_init, losses_clap_deinit, losses_clap_get_factory,
};
