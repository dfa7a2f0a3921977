import CLinux

/// The calling thread's time slice: a request to Linux's EEVDF scheduler (6.12 and later), which otherwise
/// gives every thread the same default (3 ms here).
public enum SchedulerSlice {
    /// Asks for `microseconds`-long slices (the kernel takes 100 µs to 100 ms). A thread that sleeps often and
    /// must answer at once, as an event loop, is then picked ahead of busy threads on the default slice when it
    /// wakes, instead of waiting out their slice. False when the kernel refused it; a kernel before 6.12 may
    /// accept and ignore it, which `current` shows.
    public static func request(microseconds: Int) -> Bool {
        cl_request_slice(UInt64(microseconds) * 1000) == 0
    }

    /// The calling thread's slice in microseconds, as requested or by default (0 when unknown).
    public static var current: Int { Int(cl_current_slice() / 1000) }
}
