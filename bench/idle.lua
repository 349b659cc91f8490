-- wrk script for benchmark 3: each request is one of N clients' idle pull, in turn.
-- IDLE_TARGETS names a file of lines "<path>\t<access token>" (empty token: no auth header).
local targets = {}
local i = 0

function init(args)
  local file = assert(io.open(os.getenv("IDLE_TARGETS"), "r"))
  for line in file:lines() do
    local path, token = line:match("^([^\t]+)\t?(.*)$")
    local headers = { ["X-Lumbung-Protocol"] = "1" }
    if token ~= nil and token ~= "" then headers["Authorization"] = "Bearer " .. token end
    targets[#targets + 1] = wrk.format("GET", path, headers)
  end
  file:close()
end

function request()
  i = i % #targets + 1
  return targets[i]
end
