// EventCluster's version, as /overview, /config and the metrics' build_info report it.
#pragma once

namespace ec {

inline constexpr char kEventClusterVersion[] = "0.5.0";

}  // namespace ec
