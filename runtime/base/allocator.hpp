#pragma once

namespace kforge {

/// Tells the allocator that a campaign has finished opening and now runs. The kforge executable
/// allocates through tcmalloc (when installed) and starts it decommitting every freed span at
/// once: opening a store of a million memory items frees hundreds of MB of transients, and the
/// launch's resident peak stays lower. Once the campaign runs, the same setting costs every
/// evaluation page faults and madvise calls (its records are built and freed at thousands a
/// second), so from here on freed memory returns at tcmalloc's usual pace, after what is free now
/// has been handed back. A no-op in binaries without tcmalloc (the tests, sanitizer builds), and
/// when TCMALLOC_AGGRESSIVE_DECOMMIT in the environment decided the setting.
void allocator_campaign_running() noexcept;

}  // namespace kforge
