# Precompiled headers: CAF and Beast headers dominate compile time, so every
# library that includes them precompiles the set it uses.
function(agora_pch_caf target)
  target_precompile_headers(${target} PRIVATE
    <string> <vector> <variant> <optional> <memory> <functional> <chrono>
    <caf/all.hpp>)
endfunction()

function(agora_pch_beast target)
  target_precompile_headers(${target} PRIVATE
    <string> <vector> <variant> <optional> <memory> <functional> <chrono>
    <caf/all.hpp> <boost/beast.hpp> <boost/asio.hpp> <boost/json.hpp>)
endfunction()
