-- wrk script for scripts/bench/wire.py.
-- WRK_METHOD=POST and WRK_BODY=<json> turn every request into a JSON POST (the batch of
-- mutations); otherwise requests are the GET given on the command line.
-- When the run ends, prints one line "WRK_JSON {...}" with the counts and latency percentiles
-- (microseconds) that wire.py reads.
local method = os.getenv("WRK_METHOD")
if method == "POST" then
  wrk.method = "POST"
  wrk.body = os.getenv("WRK_BODY")
  wrk.headers["Content-Type"] = "application/json"
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
