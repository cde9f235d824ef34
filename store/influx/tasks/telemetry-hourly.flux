// Hourly rollups of every reading field: min, max, mean and count per device, field and UTC hour,
// written to the long-lived bucket `telemetry_hourly` as fields `<field>_min`, `_max`, `_mean`, `_count`
// of the measurement `<kind>` with the same tags as the raw points (region, site, device, kind, profile).
//
// Runs 10 min after each hour and recomputes the last 6 hours: readings buffered by a device
// that was offline arrive late, and a rerun overwrites the same points (same series, same time),
// so it is idempotent. Readings later than 6 h are picked up by `influx task retry` or a backfill
// run of this script with a wider range (see README.md).
option task = {name: "sk-telemetry-hourly", every: 1h, offset: 10m}

source = "telemetry"
target = "telemetry_hourly"

data =
    from(bucket: source)
        |> range(start: -6h)
        // seq, boot and received_at identify a reading; they are not measurements.
        |> filter(fn: (r) => r._field != "seq" and r._field != "boot" and r._field != "received_at")
        // Booleans (door open, overflow, …) become 0/1, so their mean is the share of time-stamped readings that were true.
        |> toFloat()

rollup = (fn, suffix) =>
    data
        |> aggregateWindow(every: 1h, fn: fn, createEmpty: false, timeSrc: "_start")
        |> toFloat()
        |> map(fn: (r) => ({r with _field: r._field + suffix}))
        |> to(bucket: target)

rollup(fn: min, suffix: "_min")
rollup(fn: max, suffix: "_max")
rollup(fn: mean, suffix: "_mean")
rollup(fn: count, suffix: "_count")
