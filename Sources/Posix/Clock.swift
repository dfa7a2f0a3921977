import Glibc

/// Monotonic time in seconds, for deadlines and durations.
public func monotonicSeconds() -> Double { seconds(on: CLOCK_MONOTONIC) }

/// The CPU time the calling thread has used, in seconds: a budget for work that must not count the time the
/// thread waited for a CPU.
public func threadCPUSeconds() -> Double { seconds(on: CLOCK_THREAD_CPUTIME_ID) }

private func seconds(on clock: clockid_t) -> Double {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Wall-clock time in seconds since the epoch.
public func wallSeconds() -> Double {
    Double(wallNanoseconds()) / 1e9
}

/// Wall-clock time in nanoseconds since the epoch, comparable with a file's `st_mtim`.
public func wallNanoseconds() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int(ts.tv_sec) * 1_000_000_000 + Int(ts.tv_nsec)
}
