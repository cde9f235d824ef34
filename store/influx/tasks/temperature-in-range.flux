// Time in range per device and UTC hour: milliseconds the temperature was inside the band of
// the device's profile, written to `telemetry_hourly` as `temperatureC_in_range_ms`, with
// `temperatureC_observed_ms` for how much of the hour the readings cover.
//
// A reading holds until the next one (events.duration), for at most 90 s (three intervals of a
// 30 s sensor; a silent sensor is not counted as in range); its whole hold counts in the hour of
// the reading. The bands are the cn-catering pack's defaults (domain.md): chilled 0–8 °C, frozen
// at or below −12 °C (the alarm floor), hot holding at or above 60 °C. Edit them here for another
// pack; the SQLite rollups take them from SK_RULE_PACK.
import "contrib/tomhollingworth/events"

option task = {name: "sk-temperature-in-range", every: 1h, offset: 10m}

source = "telemetry"
target = "telemetry_hourly"
maxHoldMs = 90000

inBand = (profile, c) =>
    if profile == "chilled" then
        c >= 0.0 and c <= 8.0
    else if profile == "frozen" then
        c <= -12.0
    else if profile == "hot_holding" then
        c >= 60.0
    else
        false

held =
    from(bucket: source)
        |> range(start: -6h)
        |> filter(fn: (r) => r._measurement == "temperature" and r._field == "temperatureC")
        |> sort(columns: ["_time"])
        |> events.duration(unit: 1ms, columnName: "heldMs", stop: now())
        |> map(fn: (r) => ({r with heldMs: if r.heldMs > maxHoldMs then maxHoldMs else r.heldMs}))

held
    |> map(fn: (r) => ({r with _value: if inBand(profile: r.profile, c: r._value) then r.heldMs else 0}))
    |> aggregateWindow(every: 1h, fn: sum, createEmpty: false, timeSrc: "_start")
    |> set(key: "_field", value: "temperatureC_in_range_ms")
    |> to(bucket: target)

held
    |> map(fn: (r) => ({r with _value: r.heldMs}))
    |> aggregateWindow(every: 1h, fn: sum, createEmpty: false, timeSrc: "_start")
    |> set(key: "_field", value: "temperatureC_observed_ms")
    |> to(bucket: target)
