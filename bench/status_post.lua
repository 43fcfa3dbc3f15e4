-- wrk script of bench/status_wrk.sh: POST /api/v1/bookings/status {code, nik} of the
-- prebooked bookings listed in the file STATUS_BOOKS names ("CODE NIK" lines), a
-- random one per request. The requests are formatted once per thread in init, so the
-- client spends no Lua time on them; the same script drives the trivial responder.
local reqs = {}

function init(args)
	local path = os.getenv("STATUS_BOOKS")
	local f = assert(io.open(path, "r"), "STATUS_BOOKS: cannot open " .. tostring(path))
	local headers = { ["Content-Type"] = "application/json" }
	for line in f:lines() do
		local code, nik = line:match("^(%S+) (%S+)$")
		if code then
			local body = string.format('{"code":"%s","nik":"%s"}', code, nik)
			reqs[#reqs + 1] = wrk.format("POST", "/api/v1/bookings/status", headers, body)
		end
	end
	f:close()
	assert(#reqs > 0, "STATUS_BOOKS holds no booking")
	math.randomseed(os.time() + #tostring({}))
end

function request()
	return reqs[math.random(#reqs)]
end
